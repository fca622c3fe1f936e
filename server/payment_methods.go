package server

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/cards"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// PaymentMethods of type card, made from Stripe's test cards (a number, a
// tok_* token, or a pm_card_* id, which is cloned into a new pm_… wherever it
// is used: design-16 §2.5). Only test cards exist, as in Stripe's test mode.

const tPaymentMethods = billing.TablePaymentMethods

var paymentMethodResource = &resource[*billing.PaymentMethod]{
	resourceDesc: resourceDesc{
		name:   "payment_method",
		noun:   "PaymentMethod",
		table:  billing.Table(tPaymentMethods),
		codec:  plainCodec[billing.PaymentMethod](),
		expand: map[string]string{"customer": "customer"},
		events: paymentMethodEvents,
		routes: paymentMethodEndpoints,
		shape:  paymentMethodShape,
	},
	render: infallible((*renderCtx).renderPaymentMethod),
}

// paymentMethodEvents: attached and detached as its customer comes and goes;
// updated when the update endpoint changes what it shows. Creating one
// raises no event (Stripe has no payment_method.created).
func paymentMethodEvents(m *mutation) (string, store.Record, store.Record) {
	after, _ := m.after.(*billing.PaymentMethod)
	before, _ := m.before.(*billing.PaymentMethod)
	switch {
	case after == nil:
		return "", nil, nil
	case after.Customer != "" && (before == nil || before.Customer == ""):
		return "payment_method.attached", after, nil
	case after.Customer == "" && before != nil && before.Customer != "":
		return "payment_method.detached", after, nil
	case before != nil && after.Customer != "" && edited(before, after):
		return "payment_method.updated", after, before
	}
	return "", nil, nil
}

// edited reports whether what the update endpoint sets differs.
func edited(a, b *billing.PaymentMethod) bool {
	return a.BillingDetails != b.BillingDetails || a.AllowRedisplay != b.AllowRedisplay || a.ExpMonth != b.ExpMonth ||
		a.ExpYear != b.ExpYear || !maps.Equal(a.Metadata, b.Metadata)
}

func paymentMethodEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/payment_methods", op: "PostPaymentMethods", mode: txWrite, h: createPaymentMethod,
			accepts: []string{"allow_redisplay", "billing_details", "card", "metadata", "type"}},
		// A GET of a pm_card_* id stores the clone it answers: a write.
		{route: "GET /v1/payment_methods/{payment_method}", op: "GetPaymentMethodsPaymentMethod", mode: txWrite, h: retrievePaymentMethod},
		{route: "POST /v1/payment_methods/{payment_method}", op: "PostPaymentMethodsPaymentMethod", mode: txWrite, h: updatePaymentMethod,
			accepts: []string{"allow_redisplay", "billing_details", "card", "metadata"}},
		{route: "GET /v1/payment_methods", op: "GetPaymentMethods", mode: txRead, h: listPaymentMethods},
		{route: "POST /v1/payment_methods/{payment_method}/attach", op: "PostPaymentMethodsPaymentMethodAttach", mode: txWrite, h: attachPaymentMethod},
		{route: "POST /v1/payment_methods/{payment_method}/detach", op: "PostPaymentMethodsPaymentMethodDetach", mode: txWrite, h: detachPaymentMethod},
		{route: "GET /v1/customers/{customer}/payment_methods", op: "GetCustomersCustomerPaymentMethods", mode: txRead, h: listCustomerPaymentMethods},
		{route: "GET /v1/customers/{customer}/payment_methods/{payment_method}", op: "GetCustomersCustomerPaymentMethodsPaymentMethod", mode: txRead,
			h: retrieveCustomerPaymentMethod},
	}
}

// createPaymentMethod is POST /v1/payment_methods: a card from a test number
// (with its expiry, and a CVC if given) or a test token. A number that is no
// test card, a bad expiry or CVC are the 402 card errors of Stripe's test
// mode (cards.Validate); declining cards are made, and decline later.
func createPaymentMethod(c *call) (jsonobj.Obj, error) {
	pm, err := c.cardPaymentMethod(c.params)
	if err != nil {
		return nil, err
	}
	if err := c.tx.Put(tPaymentMethods, pm); err != nil {
		return nil, err
	}
	return c.answer(pm, c.renderPaymentMethod(pm)), nil
}

// cardPaymentMethod makes (without storing it) the payment method that
// POST /v1/payment_methods's parameters p describe.
func (c *call) cardPaymentMethod(p *form.Params) (*billing.PaymentMethod, error) {
	typ, _ := p.String("type")
	if !p.Has("type") {
		return nil, apierr.ParameterMissing("type")
	}
	if typ != "card" {
		return nil, apierr.InvalidRequest("", "type", "stripe-emulator supports PaymentMethods of type card only, not %s.", typ)
	}
	card := p.Object("card")
	if card == nil {
		return nil, apierr.ParameterMissing("card")
	}
	if card.Has("networks") {
		return nil, unsupported(c.ep, card.Path("networks"))
	}
	var pm *billing.PaymentMethod
	if tok, ok := card.String("token"); ok {
		tc, known := cards.ByToken(tok)
		if !known {
			return nil, apierr.ResourceMissing("token", card.Path("token"), tok)
		}
		pm = c.cloneTestCard(tc)
	} else {
		in := cards.Input{}
		in.Number, _ = card.String("number")
		in.ExpMonth, _ = card.Int("exp_month")
		in.ExpYear, _ = card.Int("exp_year")
		in.CVC, _ = card.String("cvc")
		in.Number = strings.ReplaceAll(in.Number, " ", "")
		tc, exp, cerr := cards.Validate(in, c.clockNow())
		if cerr != nil {
			return nil, cerr
		}
		pm = c.newPaymentMethod(tc, exp, in.CVC != "")
	}
	if err := applyPaymentMethodParams(pm, p); err != nil {
		return nil, err
	}
	return pm, nil
}

// clockNow is the request's time on the emulator's clock.
func (c *call) clockNow() time.Time { return time.Unix(c.unix(), 0) }

// cloneTestCard is a new, unattached payment method of a test id or token
// (pm_card_visa, tok_visa): its default expiry, a CVC counted as given.
func (c *call) cloneTestCard(card cards.Card) *billing.PaymentMethod {
	return c.newPaymentMethod(card, cards.DefaultExpiry(c.clockNow()), true)
}

// newPaymentMethod is a new, unattached payment method of a test card.
func (c *call) newPaymentMethod(card cards.Card, exp cards.Expiry, cvcGiven bool) *billing.PaymentMethod {
	return &billing.PaymentMethod{Meta: c.newMeta("pm"), Card: card.Key, ExpMonth: exp.Month, ExpYear: exp.Year,
		Fingerprint: cards.Fingerprint(c.acct.key, card.Number), CVCGiven: cvcGiven, AllowRedisplay: "unspecified", Metadata: map[string]string{}}
}

// applyPaymentMethodParams sets what create and update share: billing
// details, metadata and allow_redisplay.
func applyPaymentMethodParams(pm *billing.PaymentMethod, p *form.Params) error {
	if p.IsEmpty("billing_details") {
		pm.BillingDetails = billing.BillingDetails{}
	} else if bd := p.Object("billing_details"); bd != nil {
		setString := func(obj *form.Params, key string, dst *string) {
			if obj.IsEmpty(key) {
				*dst = ""
			} else if v, ok := obj.String(key); ok {
				*dst = v
			}
		}
		d := &pm.BillingDetails
		setString(bd, "name", &d.Name)
		setString(bd, "email", &d.Email)
		setString(bd, "phone", &d.Phone)
		if bd.IsEmpty("address") {
			d.Address = billing.Address{}
		} else if a := bd.Object("address"); a != nil {
			for key, dst := range map[string]*string{"city": &d.Address.City, "country": &d.Address.Country, "line1": &d.Address.Line1,
				"line2": &d.Address.Line2, "postal_code": &d.Address.PostalCode, "state": &d.Address.State} {
				setString(a, key, dst)
			}
		}
	}
	if v, ok := p.String("allow_redisplay"); ok {
		pm.AllowRedisplay = v
	}
	md, err := metadata.Apply(pm.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return err
	}
	pm.Metadata = md
	return nil
}

// paymentMethod is the payment method an id names in param ("id": the URL
// path): a stored one, or, for a magic pm_card_* id, a new clone of its card,
// stored unattached (design-16 §2.5: every use of a magic id makes a new
// payment method; later calls use the clone's id).
func (c *call) paymentMethod(id, param string) (*billing.PaymentMethod, error) {
	if card, ok := cards.ByPaymentMethod(id); ok {
		pm := c.cloneTestCard(card)
		return pm, c.tx.Put(tPaymentMethods, pm)
	}
	rec, err := c.tx.Get(tPaymentMethods, id)
	if err != nil {
		return nil, err
	}
	pm, ok := rec.(*billing.PaymentMethod)
	if !ok {
		return nil, billing.NoSuchPaymentMethod(id, param)
	}
	return pm, nil
}

// retrievePaymentMethod is GET /v1/payment_methods/{payment_method}. A test
// id (pm_card_visa) answers a clone that is not stored, so that reading it
// over and over stores nothing (its id cannot be used afterwards: attach
// or use the test id itself, which clones it then).
func retrievePaymentMethod(c *call) (jsonobj.Obj, error) {
	if card, ok := cards.ByPaymentMethod(c.vars["payment_method"]); ok {
		return c.renderPaymentMethod(c.cloneTestCard(card)), nil
	}
	pm, err := c.paymentMethod(c.vars["payment_method"], "id")
	if err != nil {
		return nil, err
	}
	return c.renderPaymentMethod(pm), nil
}

// updatePaymentMethod is POST /v1/payment_methods/{id}: billing details,
// metadata, allow_redisplay and the card's expiry, of an attached payment
// method only (design-16 §1.7, weakly observed text).
func updatePaymentMethod(c *call) (jsonobj.Obj, error) {
	cur, err := c.paymentMethod(c.vars["payment_method"], "id")
	if err != nil {
		return nil, err
	}
	if cur.Customer == "" {
		return nil, apierr.InvalidRequest("", "", "You must save this PaymentMethod to a customer before you can update it.")
	}
	pm := cur.Clone()
	if card := c.params.Object("card"); card != nil {
		if card.Has("networks") {
			return nil, unsupported(c.ep, card.Path("networks"))
		}
		month, hasMonth := card.Int("exp_month")
		year, hasYear := card.Int("exp_year")
		if !hasMonth {
			month = pm.ExpMonth
		}
		if !hasYear {
			year = pm.ExpYear
		}
		exp, cerr := cards.ValidateExpiry(month, year, c.clockNow())
		if cerr != nil {
			return nil, cerr
		}
		pm.ExpMonth, pm.ExpYear = exp.Month, exp.Year
	}
	if err := applyPaymentMethodParams(pm, c.params); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tPaymentMethods, pm); err != nil {
		return nil, err
	}
	return c.answer(pm, c.renderPaymentMethod(pm)), nil
}

// attachPaymentMethod is POST /v1/payment_methods/{id}/attach: a pm_card_* id
// attaches a new clone. A card that cannot be attached answers its 402, with
// the payment method embedded, and stores nothing (design-16 D4).
func attachPaymentMethod(c *call) (jsonobj.Obj, error) {
	pm, err := c.paymentMethod(c.vars["payment_method"], "id")
	if err != nil {
		return nil, err
	}
	customerID, _ := c.params.String("customer")
	cu, err := c.getCustomer(customerID, "customer", false)
	if err != nil {
		return nil, err
	}
	pm, err = billing.Attach(&c.u, pm, cu.ID)
	if err != nil {
		return nil, err
	}
	return c.answer(pm, c.renderPaymentMethod(pm)), nil
}

// detachPaymentMethod is POST /v1/payment_methods/{id}/detach: for good, and
// the defaults that named it are cleared.
func detachPaymentMethod(c *call) (jsonobj.Obj, error) {
	pm, err := c.paymentMethod(c.vars["payment_method"], "id")
	if err != nil {
		return nil, err
	}
	pm, err = billing.Detach(&c.u, pm)
	if err != nil {
		return nil, err
	}
	return c.answer(pm, c.renderPaymentMethod(pm)), nil
}

// listPaymentMethods is GET /v1/payment_methods: those of customer, or every
// payment method of the account without it [I].
func listPaymentMethods(c *call) (jsonobj.Obj, error) {
	customerID, byCustomer := c.params.String("customer")
	if byCustomer {
		if _, err := c.getCustomer(customerID, "customer", false); err != nil {
			return nil, err
		}
	}
	typ, byType := c.params.String("type")
	return c.list(tPaymentMethods, "PaymentMethod", "/v1/payment_methods", func(r store.Record) bool {
		pm := r.(*billing.PaymentMethod)
		return (!byCustomer || pm.Customer == customerID) && (!byType || typ == "card")
	}, c.renderPaymentMethodRecord)
}

// listCustomerPaymentMethods is GET /v1/customers/{customer}/payment_methods:
// the customer's, newest first, by type and allow_redisplay.
func listCustomerPaymentMethods(c *call) (jsonobj.Obj, error) {
	cu, err := c.getCustomer(c.vars["customer"], "id", false)
	if err != nil {
		return nil, err
	}
	typ, byType := c.params.String("type")
	redisplay, byRedisplay := c.params.String("allow_redisplay")
	return c.list(tPaymentMethods, "PaymentMethod", "/v1/customers/"+cu.ID+"/payment_methods", func(r store.Record) bool {
		pm := r.(*billing.PaymentMethod)
		return pm.Customer == cu.ID && (!byType || typ == "card") && (!byRedisplay || pm.AllowRedisplay == redisplay)
	}, c.renderPaymentMethodRecord)
}

// retrieveCustomerPaymentMethod is GET
// /v1/customers/{customer}/payment_methods/{payment_method}: one of the
// customer's; any other is missing.
func retrieveCustomerPaymentMethod(c *call) (jsonobj.Obj, error) {
	cu, err := c.getCustomer(c.vars["customer"], "id", false)
	if err != nil {
		return nil, err
	}
	id := c.vars["payment_method"]
	pm, err := getRecord[*billing.PaymentMethod](c.tx, tPaymentMethods, "PaymentMethod", id, "id")
	if err != nil {
		return nil, err
	}
	if pm.Customer != cu.ID {
		return nil, billing.NoSuchPaymentMethod(id, "id")
	}
	return c.renderPaymentMethod(pm), nil
}

// customerPayments finishes a customer create or update stored as cu: the
// payment method of payment_method (create only; a magic id attaches a new
// clone), the invoice_settings[default_payment_method] (on create, only the
// one payment_method attaches, named by the same value), and the balance
// transaction of a balance set (from prevBalance). It answers the customer
// as stored.
func (c *call) customerPayments(cu *billing.Customer, prevBalance int64, creating bool) (*billing.Customer, error) {
	p := c.params
	attached, attachedAs := "", ""
	if id, ok := p.String("payment_method"); ok && creating {
		pm, err := c.paymentMethod(id, "payment_method")
		if err != nil {
			return nil, err
		}
		if pm, err = billing.Attach(&c.u, pm, cu.ID); err != nil {
			return nil, err
		}
		attached, attachedAs = pm.ID, id
	}
	if attached == "" && creating && c.s.defaultCard != "" {
		var err error
		if cu, err = c.giveDefaultCard(cu); err != nil {
			return nil, err
		}
	}
	if is := p.Object("invoice_settings"); is != nil && is.Has("default_payment_method") {
		n := cu.Clone()
		switch id, _ := is.String("default_payment_method"); {
		case creating && id != "" && id == attachedAs:
			n.DefaultPaymentMethod = attached
		case creating && id != "":
			return nil, billing.NotAttachedTo(id, is.Path("default_payment_method"))
		default:
			d, _, err := c.defaultPaymentMethod(is, "default_payment_method", cu.ID)
			if err != nil {
				return nil, err
			}
			n.DefaultPaymentMethod = d
		}
		if err := c.tx.Put(tCustomers, n); err != nil {
			return nil, err
		}
		cu = n
	}
	return c.ledgerBalanceSet(cu, prevBalance, creating)
}

// giveDefaultCard gives a new customer the server's default card
// (Options.DefaultCard): a clone attached to them (payment_method.attached
// after customer.created) and set as their default payment method.
func (c *call) giveDefaultCard(cu *billing.Customer) (*billing.Customer, error) {
	pm, err := c.paymentMethod(c.s.defaultCard, "payment_method")
	if err != nil {
		return nil, err
	}
	if pm, err = billing.Attach(&c.u, pm, cu.ID); err != nil {
		return nil, err
	}
	n := cu.Clone()
	n.DefaultPaymentMethod = pm.ID
	return n, c.tx.Put(tCustomers, n)
}

// checkDefaultCard refuses an Options.DefaultCard that is no pm_card_* id,
// or one whose attach declines.
func checkDefaultCard(id string) error {
	if id == "" {
		return nil
	}
	card, ok := cards.ByPaymentMethod(id)
	if !ok {
		return fmt.Errorf("default card %q: not a pm_card_* test payment method id", id)
	}
	if r := card.Evaluate(cards.Attach, false); r.Status != cards.Succeeded {
		return fmt.Errorf("default card %q: it cannot be attached to a customer (%s)", id, r.Decline.Code)
	}
	return nil
}

// withDefaultPaymentMethod is a customer's invoice settings with their
// default payment method.
func withDefaultPaymentMethod(settings jsonobj.Obj, id string) jsonobj.Obj {
	out := make(jsonobj.Obj, len(settings))
	copy(out, settings)
	out.Set("default_payment_method", orNull(id))
	return out
}

// defaultPaymentMethod reads a default_payment_method parameter (key, in p)
// for a customer: the id of a payment method attached to them, or ok false
// when absent. The catalogue does not let it be unset (an empty value is
// Stripe's parameter_invalid_empty; detaching the payment method clears it).
// A magic pm_card_* id is refused: it is attached to nobody (design-16
// §2.5).
func (c *call) defaultPaymentMethod(p *form.Params, key, customer string) (id string, ok bool, err error) {
	id, ok = p.String(key)
	if !ok {
		return "", false, nil
	}
	if id == "" {
		return "", false, apierr.InvalidEmpty(p.Path(key))
	}
	if _, err := billing.AttachedPaymentMethod(&c.u, id, customer, p.Path(key)); err != nil {
		return "", false, err
	}
	return id, true, nil
}

func (rc *renderCtx) renderPaymentMethodRecord(r store.Record) (jsonobj.Obj, error) {
	return rc.renderPaymentMethod(r.(*billing.PaymentMethod)), nil
}

func (rc *renderCtx) renderPaymentMethod(pm *billing.PaymentMethod) jsonobj.Obj {
	return paymentMethodShape.render(rc, pm)
}

// pmField is a field of the payment_method object.
type pmField = field[*billing.PaymentMethod]

// pmCard is a getter of the payment method's test card.
func pmCard(f func(c cards.Card) any) func(*renderCtx, *billing.PaymentMethod) any {
	return func(_ *renderCtx, pm *billing.PaymentMethod) any { return f(pm.TestCard()) }
}

// renderCheck is one of card.checks (null when not checked).
func renderCheck(c cards.Check) any { return orNull(string(c)) }

// paymentMethodShape is the payment method at every API version.
var paymentMethodShape = newShape("payment_method", []pmField{
	{name: "id", get: func(_ *renderCtx, pm *billing.PaymentMethod) any { return pm.ID }},
	{name: "object", fixed: always("payment_method")},
	{name: "allow_redisplay", get: func(_ *renderCtx, pm *billing.PaymentMethod) any { return pm.AllowRedisplay }},
	{name: "billing_details", sub: billingDetailsFields(func(pm *billing.PaymentMethod) billing.BillingDetails { return pm.BillingDetails })},
	{name: "card", sub: []pmField{
		{name: "brand", get: pmCard(func(c cards.Card) any { return c.Brand })},
		{name: "checks", get: func(_ *renderCtx, pm *billing.PaymentMethod) any {
			checks := pm.Checks()
			return jsonobj.Obj{
				{K: "address_line1_check", V: renderCheck(checks.AddressLine1)},
				{K: "address_postal_code_check", V: renderCheck(checks.AddressPostalCode)},
				{K: "cvc_check", V: renderCheck(checks.CVC)},
			}
		}},
		{name: "country", get: pmCard(func(c cards.Card) any { return c.Country })},
		{name: "display_brand", get: pmCard(func(c cards.Card) any { return c.DisplayBrand })},
		{name: "exp_month", get: func(_ *renderCtx, pm *billing.PaymentMethod) any { return pm.ExpMonth }},
		{name: "exp_year", get: func(_ *renderCtx, pm *billing.PaymentMethod) any { return pm.ExpYear }},
		{name: "fingerprint", get: func(_ *renderCtx, pm *billing.PaymentMethod) any { return pm.Fingerprint }},
		{name: "funding", get: pmCard(func(c cards.Card) any { return c.Funding })},
		{name: "generated_from", fixed: fixedNull},
		{name: "last4", get: pmCard(func(c cards.Card) any { return c.Last4() })},
		{name: "networks", get: pmCard(func(c cards.Card) any {
			return jsonobj.Obj{{K: "available", V: []string{c.Brand}}, {K: "preferred", V: nil}}
		})},
		{name: "regulated_status", fixed: fixedNull},
		{name: "three_d_secure_usage", get: pmCard(func(c cards.Card) any {
			return jsonobj.Obj{{K: "supported", V: c.ThreeDSecureSupported}}
		})},
		{name: "wallet", fixed: fixedNull},
	}},
	{name: "created", get: func(_ *renderCtx, pm *billing.PaymentMethod) any { return pm.Created }},
	{name: "customer", get: func(_ *renderCtx, pm *billing.PaymentMethod) any { return orNull(pm.Customer) }},
	{name: "customer_account", fixed: fixedNull},
	{name: "livemode", fixed: fixedFalse},
	{name: "metadata", get: func(_ *renderCtx, pm *billing.PaymentMethod) any { return metadataOf(pm.Metadata) }},
	{name: "type", fixed: always("card")},
})

// billingDetailsFields are billing_details (a payment method's, a
// charge's): address, email, name, phone, and tax_id from basil (always
// null: the emulator takes no tax ids).
func billingDetailsFields[T any](get func(T) billing.BillingDetails) []field[T] {
	return []field[T]{
		{name: "address", get: func(_ *renderCtx, r T) any {
			a := get(r).Address
			return jsonobj.Obj{
				{K: "city", V: orNull(a.City)},
				{K: "country", V: orNull(a.Country)},
				{K: "line1", V: orNull(a.Line1)},
				{K: "line2", V: orNull(a.Line2)},
				{K: "postal_code", V: orNull(a.PostalCode)},
				{K: "state", V: orNull(a.State)},
			}
		}},
		{name: "email", get: func(_ *renderCtx, r T) any { return orNull(get(r).Email) }},
		{name: "name", get: func(_ *renderCtx, r T) any { return orNull(get(r).Name) }},
		{name: "phone", get: func(_ *renderCtx, r T) any { return orNull(get(r).Phone) }},
		{name: "tax_id", fixed: fixedNull},
	}
}
