package billing

import (
	"maps"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/cards"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// PaymentMethod is a stored PaymentMethod of type card (the only type the
// emulator models). Its card is a row of the test-card catalogue, kept by
// key (cards.ByKey): the number, brand and behaviour are the catalogue's,
// never copied.
type PaymentMethod struct {
	store.Meta
	// Customer is the customer it is attached to ("" when it is not).
	Customer string
	// Card is the key of its test card in the catalogue.
	Card              string
	ExpMonth, ExpYear int64
	Fingerprint       string
	// CVCGiven: a CVC came with the card (card[cvc], or a pm_card_* id or
	// tok_* token, which stand for a card entered with one [I]); the
	// cvc_check is null without one.
	CVCGiven bool
	// Verified: the card's checks have been run, by attaching it or by a
	// confirm that used it (cvc_check "unchecked" until then).
	Verified bool
	// SetUp: a SetupIntent set it up for off-session payments (the cards
	// that authenticate unless set up, 4000002500003155, ask no more).
	SetUp bool
	// Consumed: it was detached, and "can no longer be used for a payment or
	// re-attached to a Customer" (ref §2.2).
	Consumed       bool
	BillingDetails BillingDetails
	AllowRedisplay string
	Metadata       map[string]string
}

// BillingDetails are a PaymentMethod's billing_details ("" renders null).
type BillingDetails struct {
	Name, Email, Phone string
	Address            Address
}

// Address is a postal address of billing details.
type Address struct {
	City, Country, Line1, Line2, PostalCode, State string
}

// Clone is a copy of the payment method to change and store again.
func (pm *PaymentMethod) Clone() *PaymentMethod {
	n := *pm
	n.Metadata = maps.Clone(pm.Metadata)
	return &n
}

// TestCard is the payment method's card in the catalogue. Its key comes from
// the catalogue when the payment method is made, so a missing one is a
// state file from another catalogue: the card then behaves as 4242.
func (pm *PaymentMethod) TestCard() cards.Card {
	if c, ok := cards.ByKey(pm.Card); ok {
		return c
	}
	c, _ := cards.ByKey("visa")
	return c
}

// Checks are card.checks: a value given is checked once the card is
// verified.
func (pm *PaymentMethod) Checks() cards.Checks {
	a := pm.BillingDetails.Address
	return pm.TestCard().Checks(cards.Provided{CVC: pm.CVCGiven, AddressLine1: a.Line1 != "", AddressPostalCode: a.PostalCode != ""}, pm.Verified)
}

// NoSuchPaymentMethod is Stripe's resource_missing for a PaymentMethod id
// (ref §6.2: "No such PaymentMethod: 'pm_x'"), in the URL path (param "id")
// or in a parameter.
func NoSuchPaymentMethod(id, param string) *apierr.Error {
	return apierr.ResourceMissing("PaymentMethod", param, id)
}

// NotAttachedTo is the 400 for a payment method named as a customer's,
// subscription's or invoice's default that is not attached to the customer
// (ref §2.2, observed text; [I] the code and the param, the field sent).
func NotAttachedTo(id, param string) *apierr.Error {
	return apierr.InvalidRequest("resource_missing", param,
		"The customer does not have a payment method with the ID %s. The payment method must be attached to the customer.", id)
}

// errConsumed is the 400 for a payment method that was detached (ref §2.2:
// it "can no longer be used for a payment or re-attached"; the text is
// weakly observed, the code [I]).
func errConsumed(param string) *apierr.Error {
	return apierr.InvalidRequest("payment_method_unexpected_state", param,
		"This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.")
}

// Attach attaches a stored payment method to a customer, as POST /v1/payment_methods/{id}/attach and customer create
// with payment_method do, and stores it: attached and verified (its checks
// run). A card that cannot be attached (ref §1.3: the declining cards)
// answers its 402 card_error, which names the payment method for the
// caller to embed; nothing is stored then, and the caller's request must
// not commit (design-16 D4: attach rolls back).
func Attach(u *Unit, pm *PaymentMethod, customer string) (*PaymentMethod, error) {
	switch {
	case pm.Customer != "":
		return nil, apierr.InvalidRequest("payment_method_unexpected_state", "",
			"The payment method you provided has already been attached to a customer.")
	case pm.Consumed:
		return nil, errConsumed("")
	}
	if err := roomToAttach(u, customer); err != nil {
		return nil, err
	}
	if r := pm.TestCard().Evaluate(cards.Attach, pm.SetUp); r.Status == cards.Declined {
		return nil, r.Decline.APIError().WithPaymentMethod(pm.ID)
	}
	n := pm.Clone()
	n.Customer, n.Verified = customer, true
	return n, u.tx.Put(TablePaymentMethods, n)
}

// MaxAttachedPaymentMethods is how many payment methods one customer can
// have attached at a time. Stripe refuses one more, "Customer cus_… already
// has the maximum number of payment methods attached." [O]
// (solidusio/solidus_stripe#325, 2024), and does not document the number:
// a Stripe engineer's test met it at 400 (stripe/stripe-ios#3234, 2024),
// so 400 [I]. Detached payment methods do not count.
const MaxAttachedPaymentMethods = 400

// roomToAttach refuses a payment method attached to a customer who has
// MaxAttachedPaymentMethods attached already ([I] the 400 has no code or
// param), whatever attaches it: the attach endpoint, a customer create, a
// SetupIntent that succeeds, a PaymentIntent saving its card.
func roomToAttach(u *Unit, customer string) error {
	if full, err := atLeast(u, TablePaymentMethods, "customer", customer, MaxAttachedPaymentMethods); err != nil || !full {
		return err
	}
	return apierr.InvalidRequest("", "", "Customer %s already has the maximum number of payment methods attached.", customer)
}

// atLeast reports whether a table holds at least n records under an index
// key (a bound on how many of something one object has).
func atLeast(u *Unit, table, index, key string, n int) (bool, error) {
	recs, err := u.tx.Find(table, index, key)
	return err == nil && len(recs) >= n, err
}

// Detach detaches a payment method from its customer for good (ref §2.2),
// and clears every default that named it [I]: the customer's
// invoice_settings.default_payment_method and the default_payment_method of
// the customer's live subscriptions (ended ones are left as they ended).
// (Invoices' own default_payment_method comes with collection.)
func Detach(u *Unit, pm *PaymentMethod) (*PaymentMethod, error) {
	if pm.Customer == "" {
		return nil, apierr.InvalidRequest("payment_method_unexpected_state", "",
			"The payment method you provided is not attached to a customer so detachment is impossible.")
	}
	n := pm.Clone()
	n.Customer, n.Consumed = "", true
	if err := u.tx.Put(TablePaymentMethods, n); err != nil {
		return nil, err
	}
	if rec, err := u.tx.Get(TableCustomers, pm.Customer); err != nil {
		return nil, err
	} else if cu, ok := rec.(*Customer); ok && cu.DefaultPaymentMethod == pm.ID {
		c := cu.Clone()
		c.DefaultPaymentMethod = ""
		if err := u.tx.Put(TableCustomers, c); err != nil {
			return nil, err
		}
	}
	subs, err := u.tx.Find(TableSubscriptions, "customer", pm.Customer)
	if err != nil {
		return nil, err
	}
	store.SortByCreation(subs)
	for _, r := range subs {
		if sub := r.(*Subscription); sub.DefaultPaymentMethod == pm.ID && sub.Live() {
			s := sub.Clone()
			s.DefaultPaymentMethod = ""
			if err := u.tx.Put(TableSubscriptions, s); err != nil {
				return nil, err
			}
		}
	}
	return n, nil
}

// AttachedPaymentMethod is the payment method with the id if it is attached
// to the customer, or the 400 of NotAttachedTo naming param. It checks a
// default before it is stored (a magic pm_card_* id is not attached: it
// must be attached first, and the clone's id used).
func AttachedPaymentMethod(u *Unit, id, customer, param string) (*PaymentMethod, error) {
	rec, err := u.tx.Get(TablePaymentMethods, id)
	if err != nil {
		return nil, err
	}
	pm, ok := rec.(*PaymentMethod)
	if !ok || pm.Customer != customer || customer == "" {
		return nil, NotAttachedTo(id, param)
	}
	return pm, nil
}

// PaymentMethodFor is the payment method an invoice of the customer is
// charged on (ref §2.8, design-16 §3.9): the invoice's own
// default_payment_method (invoiceDefault), else its subscription's
// default_payment_method, else the customer's
// invoice_settings.default_payment_method (sources are not modelled, so the
// default_source steps are always empty). A payment method merely attached,
// default nowhere, is not used: nil when none is named. A default that no
// longer names a payment method attached to the customer counts as unset
// [I] (detaching clears defaults, so it does not happen through the API).
// Collection calls it at every attempt.
func PaymentMethodFor(u *Unit, customer, subscription, invoiceDefault string) (*PaymentMethod, error) {
	candidates := []string{invoiceDefault}
	if subscription != "" {
		rec, err := u.tx.Get(TableSubscriptions, subscription)
		if err != nil {
			return nil, err
		}
		if sub, ok := rec.(*Subscription); ok {
			candidates = append(candidates, sub.DefaultPaymentMethod)
		}
	}
	rec, err := u.tx.Get(TableCustomers, customer)
	if err != nil {
		return nil, err
	}
	if cu, ok := rec.(*Customer); ok && !cu.Deleted {
		candidates = append(candidates, cu.DefaultPaymentMethod)
	}
	for _, id := range candidates {
		if id == "" {
			continue
		}
		rec, err := u.tx.Get(TablePaymentMethods, id)
		if err != nil {
			return nil, err
		}
		if pm, ok := rec.(*PaymentMethod); ok && pm.Customer == customer {
			return pm, nil
		}
	}
	return nil, nil
}
