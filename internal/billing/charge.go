package billing

import (
	"maps"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/cards"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Charge is a stored charge: one attempt of a PaymentIntent that reached the
// card network, succeeded or failed (ref §2.5). It keeps its payment
// method's card as it was when charged (a later update of the payment
// method does not change the charge).
type Charge struct {
	store.Meta
	Amount         int64
	AmountCaptured int64
	AmountRefunded int64
	Currency       string
	Customer       string
	Invoice        string
	PaymentIntent  string
	PaymentMethod  string
	// Card is the key of the test card charged; ExpMonth, ExpYear,
	// Fingerprint and Checks are its payment method's at the charge.
	Card              string
	ExpMonth, ExpYear int64
	Fingerprint       string
	Checks            cards.Checks
	BillingDetails    BillingDetails
	Status            ChargeStatus
	Captured          bool
	// Failure is the decline of a failed charge (failure_code is its code,
	// failure_message its message).
	Failure      *cards.Decline
	Outcome      cards.Outcome
	Description  string
	ReceiptEmail string
	Metadata     map[string]string
	TestClock    string
}

// Clone is a copy of the charge to change and store again.
func (ch *Charge) Clone() *Charge {
	n := *ch
	n.Metadata = maps.Clone(ch.Metadata)
	return &n
}

func (ch *Charge) clock() string { return ch.TestClock }

// Refunded reports whether the whole of what was captured was refunded.
func (ch *Charge) Refunded() bool { return ch.Captured && ch.AmountRefunded >= ch.AmountCaptured }

// TestCard is the charged card in the catalogue (4242's for a key that the
// catalogue no longer has, as PaymentMethod.TestCard).
func (ch *Charge) TestCard() cards.Card {
	pm := PaymentMethod{Card: ch.Card}
	return pm.TestCard()
}

// newCharge stores the charge an attempt r of pi made on pm: succeeded
// (captured at once unless the intent captures manually) or failed with
// the decline.
func newCharge(u *Unit, pi *PaymentIntent, pm *PaymentMethod, r cards.Result) (*Charge, error) {
	v := *pm
	v.Verified = true
	ch := &Charge{Meta: u.ids.NewMeta("ch", u.EventTime(pi)), Amount: pi.Amount, Currency: pi.Currency, Customer: pi.Customer, Invoice: pi.Invoice,
		PaymentIntent: pi.ID, PaymentMethod: pm.ID, Card: pm.Card, ExpMonth: pm.ExpMonth, ExpYear: pm.ExpYear, Fingerprint: pm.Fingerprint,
		Checks: v.Checks(), BillingDetails: pm.BillingDetails, Status: ChargeFailed, Outcome: r.Outcome, Description: pi.Description,
		ReceiptEmail: pi.ReceiptEmail, Metadata: map[string]string{}, TestClock: pi.TestClock}
	if r.Status == cards.Succeeded {
		ch.Status = ChargeSucceeded
		if !pi.manualCapture() {
			ch.Captured, ch.AmountCaptured = true, pi.Amount
		}
	} else {
		d := r.Decline
		ch.Failure = &d
	}
	return ch, u.tx.Put(TableCharges, ch)
}
