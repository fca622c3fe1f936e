package server

import (
	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// PaymentIntents (ref §2.4): those invoices' collection makes, and
// standalone ones for one-off payments. The state machine is the engine's
// (billing.ConfirmPaymentIntent…); 3D Secure is completed through the
// emulator's own endpoint (emulator_intents.go).

const tPaymentIntents = billing.TablePaymentIntents

var paymentIntentResource = &resource[*billing.PaymentIntent]{
	resourceDesc: resourceDesc{
		name:  "payment_intent",
		noun:  "payment_intent",
		table: billing.Table(tPaymentIntents),
		codec: plainCodec[billing.PaymentIntent](),
		expand: map[string]string{"customer": "customer", "invoice": "invoice", "latest_charge": "charge", "payment_method": "payment_method",
			"review": "review", "on_behalf_of": "account", "application": "application", "transfer_data.destination": "account"},
		events: paymentIntentEvents,
		routes: paymentIntentEndpoints,
		shape:  paymentIntentShape,
	},
	render: infallible((*renderCtx).renderPaymentIntent),
}

// paymentIntentEvents: created; payment_failed for each failed attempt;
// requires_action, amount_capturable_updated (requires_capture), succeeded
// and canceled as its status reaches them. Stripe has no
// payment_intent.updated for other changes.
func paymentIntentEvents(m *mutation) (string, store.Record, store.Record) {
	after, _ := m.after.(*billing.PaymentIntent)
	before, _ := m.before.(*billing.PaymentIntent)
	switch {
	case after == nil:
		return "", nil, nil
	case before == nil:
		return "payment_intent.created", after, nil
	case after.FailedAttempts > before.FailedAttempts:
		return "payment_intent.payment_failed", after, nil
	case after.Status == before.Status:
		return "", nil, nil
	}
	switch after.Status {
	case billing.PaymentIntentRequiresAction:
		return "payment_intent.requires_action", after, nil
	case billing.PaymentIntentRequiresCapture:
		return "payment_intent.amount_capturable_updated", after, nil
	case billing.PaymentIntentSucceeded:
		return "payment_intent.succeeded", after, nil
	case billing.PaymentIntentCanceled:
		return "payment_intent.canceled", after, nil
	}
	return "", nil, nil
}

func paymentIntentEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/payment_intents", op: "PostPaymentIntents", mode: txWrite, h: createPaymentIntent,
			accepts: []string{"amount", "automatic_payment_methods", "capture_method", "confirm", "confirmation_method", "currency", "customer",
				"description", "error_on_requires_action", "metadata", "off_session", "payment_method", "payment_method_types", "receipt_email",
				"return_url", "setup_future_usage", "use_stripe_sdk"}},
		{route: "GET /v1/payment_intents/{intent}", op: "GetPaymentIntentsIntent", mode: txRead, h: retrievePaymentIntent},
		{route: "POST /v1/payment_intents/{intent}", op: "PostPaymentIntentsIntent", mode: txWrite, h: updatePaymentIntent,
			accepts: []string{"amount", "currency", "customer", "description", "metadata", "payment_method", "payment_method_types", "receipt_email",
				"setup_future_usage"}},
		{route: "GET /v1/payment_intents", op: "GetPaymentIntents", mode: txRead, h: listPaymentIntents,
			accepts: []string{"created", "customer", "ending_before", "limit", "starting_after"}},
		{route: "POST /v1/payment_intents/{intent}/confirm", op: "PostPaymentIntentsIntentConfirm", mode: txWrite, h: confirmPaymentIntent,
			accepts: []string{"error_on_requires_action", "off_session", "payment_method", "payment_method_types", "receipt_email", "return_url",
				"setup_future_usage", "use_stripe_sdk"}},
		{route: "POST /v1/payment_intents/{intent}/capture", op: "PostPaymentIntentsIntentCapture", mode: txWrite, h: capturePaymentIntent,
			accepts: []string{"amount_to_capture", "metadata"}},
		{route: "POST /v1/payment_intents/{intent}/cancel", op: "PostPaymentIntentsIntentCancel", mode: txWrite, h: cancelPaymentIntent},
	}
}

// createPaymentIntent is POST /v1/payment_intents: requires_payment_method,
// or requires_confirmation with a payment method; confirm=true confirms it
// in the same request, as a moment of its own (its events after
// payment_intent.created).
func createPaymentIntent(c *call) (jsonobj.Obj, error) {
	p := c.params
	pi := &billing.PaymentIntent{Status: billing.PaymentIntentRequiresPaymentMethod, CaptureMethod: p.StringOr("capture_method", billing.CaptureAutomatic),
		ConfirmationMethod: p.StringOr("confirmation_method", "automatic"), Metadata: map[string]string{}}
	currency, _ := p.String("currency")
	if !calc.IsCurrency(currency) {
		return nil, apierr.Invalid("currency", "Invalid currency: %s.", apierr.Clip(currency, 20))
	}
	pi.Currency = currency
	if err := setIntentAmount(pi, p); err != nil {
		return nil, err
	}
	created := c.unix()
	if id, ok := p.String("customer"); ok {
		cu, err := c.getCustomer(id, "customer", false)
		if err != nil {
			return nil, err
		}
		pi.Customer, pi.TestClock, created = cu.ID, cu.TestClock, c.u.CustomerNow(cu.ID)
	}
	pi.Meta = c.newMetaAt("pi", created)
	pi.ClientSecret = pi.ID + "_secret_" + store.RandomString(25)
	if apm := p.Object("automatic_payment_methods"); apm != nil {
		if on, _ := apm.Bool("enabled"); on {
			pi.AllowRedirects = apm.StringOr("allow_redirects", "always")
		}
	}
	confirm, _ := p.Bool("confirm")
	for _, k := range []string{"return_url", "off_session", "error_on_requires_action"} {
		if p.Has(k) && !confirm {
			return nil, apierr.InvalidRequest("", k, "%s can only be given with confirm=true (or to the confirm endpoint).", k)
		}
	}
	pm, err := c.setPaymentIntentParams(pi, p)
	if err != nil {
		return nil, err
	}
	if err := c.tx.Put(tPaymentIntents, pi); err != nil {
		return nil, err
	}
	if !confirm {
		return c.answer(pi, c.renderPaymentIntent(pi)), nil
	}
	c.u.NextStep()
	return c.confirmPaymentIntentWith(pi, pm)
}

// setIntentAmount sets amount, which must be at least the currency's
// minimum charge (ref §6.2 [O] weak text).
func setIntentAmount(pi *billing.PaymentIntent, p *form.Params) error {
	amount, ok := p.Int("amount")
	if !ok {
		return nil
	}
	if err := billing.CheckAmount("amount", amount); err != nil {
		return err
	}
	if min := calc.MinimumCharge(pi.Currency); amount < min {
		return apierr.InvalidRequest("amount_too_small", "amount", "Amount must be at least %s %s",
			calc.FormatMinor(decimal.NewFromInt(min), pi.Currency), pi.Currency)
	}
	if amount > maxIntentAmount {
		return apierr.InvalidRequest("amount_too_large", "amount", "Amount must be no more than %s",
			calc.FormatMinor(decimal.NewFromInt(maxIntentAmount), pi.Currency))
	}
	pi.Amount = amount
	return nil
}

// maxIntentAmount is the largest amount of a PaymentIntent: "The amount
// value supports up to eight digits (e.g., a value of 99999999 for a USD
// charge of $999,999.99)" [C] sg79 PaymentIntentParams.Amount, in every
// currency; the code is Stripe's amount_too_large (sg79 ErrorCode), the
// message [I].
const maxIntentAmount = 99_999_999

// setPaymentIntentParams sets what create and update share on pi: the
// payment method (a magic id: a new clone), payment_method_types (card
// only), setup_future_usage, receipt_email, description and metadata. It
// answers the payment method, if one was given.
func (c *call) setPaymentIntentParams(pi *billing.PaymentIntent, p *form.Params) (*billing.PaymentMethod, error) {
	for _, t := range p.Array("payment_method_types") {
		if t.Str != "card" {
			return nil, apierr.InvalidRequest("", t.Param, "stripe-emulator supports the payment method type card only, not %s.", t.Str)
		}
	}
	var pm *billing.PaymentMethod
	if id, ok := p.String("payment_method"); ok {
		var err error
		if pm, err = c.paymentMethod(id, "payment_method"); err != nil {
			return nil, err
		}
		pi.PaymentMethod, pi.Status, pi.NextAction = pm.ID, billing.PaymentIntentRequiresConfirmation, nil
	}
	for _, f := range []struct {
		key string
		to  *string
	}{{"description", &pi.Description}, {"receipt_email", &pi.ReceiptEmail}, {"setup_future_usage", &pi.SetupFutureUsage}} {
		if v, ok := p.String(f.key); ok {
			if err := maxLen(p, f.key, v, maxLenFor["description"]); err != nil {
				return nil, err
			}
			*f.to = v
		} else if p.IsEmpty(f.key) {
			*f.to = ""
		}
	}
	md, err := metadata.Apply(pi.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return nil, err
	}
	pi.Metadata = md
	return pm, nil
}

// paymentIntent is the PaymentIntent named in the path.
func (c *call) paymentIntent() (*billing.PaymentIntent, error) {
	return getRecord[*billing.PaymentIntent](c.tx, tPaymentIntents, "payment_intent", c.vars["intent"], "id")
}

// retrievePaymentIntent is GET /v1/payment_intents/{id}; a client_secret,
// when given, must be the intent's.
func retrievePaymentIntent(c *call) (jsonobj.Obj, error) {
	pi, err := c.paymentIntent()
	if err != nil {
		return nil, err
	}
	if s, ok := c.params.String("client_secret"); ok && s != pi.ClientSecret {
		return nil, apierr.InvalidRequest("", "client_secret", "The client_secret provided does not match the client_secret associated with the PaymentIntent.")
	}
	return c.renderPaymentIntent(pi), nil
}

// updatePaymentIntent is POST /v1/payment_intents/{id}, while it can be
// confirmed. An invoice's intent takes only description and metadata [I];
// a customer can be set only while it has none [I].
func updatePaymentIntent(c *call) (jsonobj.Obj, error) {
	cur, err := c.paymentIntent()
	if err != nil {
		return nil, err
	}
	if !cur.Confirmable() {
		return nil, apierr.State("payment_intent_unexpected_state", "You cannot update this PaymentIntent because it has a status of %s.", cur.Status)
	}
	p := c.params
	if cur.Invoice != "" {
		for _, k := range []string{"amount", "currency", "customer", "payment_method", "setup_future_usage"} {
			if p.Has(k) {
				return nil, apierr.InvalidRequest("", k, "You cannot change %s of a PaymentIntent created by an invoice (%s); update the invoice instead.", k, cur.Invoice)
			}
		}
	}
	pi := cur.Clone()
	if v, ok := p.String("currency"); ok {
		if !calc.IsCurrency(v) {
			return nil, apierr.Invalid("currency", "Invalid currency: %s.", apierr.Clip(v, 20))
		}
		pi.Currency = v
	}
	if err := setIntentAmount(pi, p); err != nil {
		return nil, err
	}
	if id, ok := p.String("customer"); ok && id != pi.Customer {
		if pi.Customer != "" {
			return nil, apierr.InvalidRequest("", "customer", "The customer of a PaymentIntent cannot be changed once set (it is %s).", pi.Customer)
		}
		cu, err := c.getCustomer(id, "customer", false)
		if err != nil {
			return nil, err
		}
		pi.Customer, pi.TestClock = cu.ID, cu.TestClock
	}
	if _, err := c.setPaymentIntentParams(pi, p); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tPaymentIntents, pi); err != nil {
		return nil, err
	}
	return c.answer(pi, c.renderPaymentIntent(pi)), nil
}

// confirmPaymentIntent is POST /v1/payment_intents/{id}/confirm, with the
// intent's payment method or a new one.
func confirmPaymentIntent(c *call) (jsonobj.Obj, error) {
	pi, err := c.paymentIntent()
	if err != nil {
		return nil, err
	}
	var pm *billing.PaymentMethod
	if id, ok := c.params.String("payment_method"); ok {
		if !pi.Confirmable() { // before a magic id is cloned for nothing
			return nil, apierr.State("payment_intent_unexpected_state",
				"You cannot confirm this PaymentIntent because it has a status of %s. A PaymentIntent can only be confirmed while it requires a payment method, a confirmation or an action.", pi.Status)
		}
		if pm, err = c.paymentMethod(id, "payment_method"); err != nil {
			return nil, err
		}
	}
	return c.confirmPaymentIntentWith(pi, pm)
}

// confirmPaymentIntentWith confirms pi with pm (nil: its own), the next
// action pointing at the emulator's page for it.
func (c *call) confirmPaymentIntentWith(pi *billing.PaymentIntent, pm *billing.PaymentMethod) (jsonobj.Obj, error) {
	p := c.params
	in := billing.PaymentConfirm{PaymentMethod: pm, OffSession: offSession(p), ErrorOnRequiresAction: optBool(p, "error_on_requires_action").V,
		SetupFutureUsage: p.StringOr("setup_future_usage", ""), ReturnURL: p.StringOr("return_url", ""), ChallengeURL: c.challengeURL(pi.ID)}
	if v, ok := p.String("receipt_email"); ok {
		n := pi.Clone()
		n.ReceiptEmail = v
		pi = n
	}
	pi, err := billing.ConfirmPaymentIntent(&c.u, pi, in)
	if err != nil {
		return nil, err
	}
	return c.answer(pi, c.renderPaymentIntent(pi)), nil
}

// offSession is a confirm's off_session: true, or one_off or recurring
// (which Stripe takes as true).
func offSession(p *form.Params) bool {
	v := p.Get("off_session")
	switch {
	case v == nil:
		return false
	case v.Kind == form.KBool:
		return v.Bool
	}
	return v.Str == "one_off" || v.Str == "recurring"
}

func capturePaymentIntent(c *call) (jsonobj.Obj, error) {
	pi, err := c.paymentIntent()
	if err != nil {
		return nil, err
	}
	if pi, err = billing.CapturePaymentIntent(&c.u, pi, optInt(c.params, "amount_to_capture")); err != nil {
		return nil, err
	}
	if c.params.Has("metadata") {
		n := pi.Clone()
		if n.Metadata, err = metadata.Apply(n.Metadata, decodeMetadata(c.params, "metadata")); err != nil {
			return nil, err
		}
		if err := c.tx.Put(tPaymentIntents, n); err != nil {
			return nil, err
		}
		pi = n
	}
	return c.answer(pi, c.renderPaymentIntent(pi)), nil
}

func cancelPaymentIntent(c *call) (jsonobj.Obj, error) {
	pi, err := c.paymentIntent()
	if err != nil {
		return nil, err
	}
	if pi, err = billing.CancelPaymentIntent(&c.u, pi, c.params.StringOr("cancellation_reason", "")); err != nil {
		return nil, err
	}
	return c.answer(pi, c.renderPaymentIntent(pi)), nil
}

func listPaymentIntents(c *call) (jsonobj.Obj, error) {
	customerID, byCustomer := c.params.String("customer")
	return c.list(tPaymentIntents, "payment_intent", "/v1/payment_intents", func(r store.Record) bool {
		return !byCustomer || r.(*billing.PaymentIntent).Customer == customerID
	}, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderPaymentIntent(r.(*billing.PaymentIntent)), nil
	})
}

func (rc *renderCtx) renderPaymentIntent(pi *billing.PaymentIntent) jsonobj.Obj {
	return paymentIntentShape.render(rc, pi)
}

// piField is a field of the payment_intent object.
type piField = field[*billing.PaymentIntent]

// piGet is a getter of the PaymentIntent itself.
func piGet(f func(pi *billing.PaymentIntent) any) func(*renderCtx, *billing.PaymentIntent) any {
	return func(_ *renderCtx, pi *billing.PaymentIntent) any { return f(pi) }
}

// paymentIntentShape is the PaymentIntent at every API version.
var paymentIntentShape = newShape("payment_intent", []piField{
	{name: "id", get: piGet(func(pi *billing.PaymentIntent) any { return pi.ID })},
	{name: "object", fixed: always("payment_intent")},
	{name: "allowed_payment_method_types", get: piGet(func(*billing.PaymentIntent) any { return []string{"card"} })},
	{name: "amount", get: piGet(func(pi *billing.PaymentIntent) any { return pi.Amount })},
	{name: "amount_capturable", get: piGet(func(pi *billing.PaymentIntent) any { return pi.AmountCapturable })},
	{name: "amount_details", fixed: always(jsonobj.Obj{{K: "tip", V: jsonobj.Obj{}}})},
	{name: "amount_received", get: piGet(func(pi *billing.PaymentIntent) any { return pi.AmountReceived })},
	{name: "application", fixed: fixedNull},
	{name: "application_fee_amount", fixed: fixedNull},
	{name: "automatic_payment_methods", get: piGet(func(pi *billing.PaymentIntent) any { return renderAutomaticPaymentMethods(pi.AllowRedirects) })},
	{name: "canceled_at", get: piGet(func(pi *billing.PaymentIntent) any { return nullIfZero(pi.CanceledAt) })},
	{name: "cancellation_reason", get: piGet(func(pi *billing.PaymentIntent) any { return orNull(pi.CancellationReason) })},
	{name: "capture_method", get: piGet(func(pi *billing.PaymentIntent) any { return pi.CaptureMethod })},
	{name: "client_secret", get: piGet(func(pi *billing.PaymentIntent) any { return pi.ClientSecret })},
	{name: "confirmation_method", get: piGet(func(pi *billing.PaymentIntent) any { return pi.ConfirmationMethod })},
	{name: "created", get: piGet(func(pi *billing.PaymentIntent) any { return pi.Created })},
	{name: "currency", get: piGet(func(pi *billing.PaymentIntent) any { return pi.Currency })},
	{name: "customer", get: piGet(func(pi *billing.PaymentIntent) any { return orNull(pi.Customer) })},
	{name: "customer_account", fixed: fixedNull},
	{name: "description", get: piGet(func(pi *billing.PaymentIntent) any { return orNull(pi.Description) })},
	{name: "excluded_payment_method_types", get: piGet(func(*billing.PaymentIntent) any { return []string{} })},
	{name: "invoice", get: piGet(func(pi *billing.PaymentIntent) any { return orNull(pi.Invoice) })},
	{name: "last_payment_error", get: func(rc *renderCtx, pi *billing.PaymentIntent) any {
		return rc.renderIntentError(pi.LastError, pi.LastErrorPaymentMethod, pi.LastErrorCharge)
	}},
	{name: "latest_charge", get: piGet(func(pi *billing.PaymentIntent) any { return orNull(pi.LatestCharge) })},
	{name: "livemode", fixed: fixedFalse},
	{name: "managed_payments", fixed: fixedNull},
	{name: "metadata", get: piGet(func(pi *billing.PaymentIntent) any { return metadataOf(pi.Metadata) })},
	{name: "next_action", get: piGet(func(pi *billing.PaymentIntent) any { return renderNextAction(pi.NextAction) })},
	{name: "on_behalf_of", fixed: fixedNull},
	{name: "payment_method", get: piGet(func(pi *billing.PaymentIntent) any { return orNull(pi.PaymentMethod) })},
	{name: "payment_method_configuration_details", fixed: fixedNull},
	{name: "payment_method_options", get: piGet(func(*billing.PaymentIntent) any {
		return jsonobj.Obj{{K: "card", V: jsonobj.Obj{
			{K: "installments", V: nil}, {K: "mandate_options", V: nil}, {K: "network", V: nil}, {K: "request_three_d_secure", V: "automatic"}}}}
	})},
	{name: "payment_method_types", get: piGet(func(*billing.PaymentIntent) any { return []string{"card"} })},
	{name: "processing", fixed: fixedNull},
	{name: "receipt_email", get: piGet(func(pi *billing.PaymentIntent) any { return orNull(pi.ReceiptEmail) })},
	{name: "review", fixed: fixedNull},
	{name: "setup_future_usage", get: piGet(func(pi *billing.PaymentIntent) any { return orNull(pi.SetupFutureUsage) })},
	{name: "shipping", fixed: fixedNull},
	{name: "statement_descriptor", fixed: fixedNull},
	{name: "statement_descriptor_suffix", fixed: fixedNull},
	{name: "status", get: piGet(func(pi *billing.PaymentIntent) any { return string(pi.Status) })},
	{name: "transfer_data", fixed: fixedNull},
	{name: "transfer_group", fixed: fixedNull},
})
