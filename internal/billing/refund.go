package billing

import (
	"maps"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Refund is a stored refund of (part of) a charge (ref §2.6).
type Refund struct {
	store.Meta
	Charge        string
	PaymentIntent string
	Amount        int64
	Currency      string
	Status        RefundStatus
	Reason        string // duplicate, fraudulent, requested_by_customer, or "" (null)
	FailureReason string
	Metadata      map[string]string
	TestClock     string
	// LaterAt is when the refund's card changes its status (the
	// asynchronous refund cards, cards.Refund.Later), 0 for none.
	LaterAt int64 `json:",omitempty"`
}

// refundDue is the refunds' due index: the clock group and time of a
// refund's later status.
func refundDue(r store.Record) (string, int64, bool) {
	re := r.(*Refund)
	return re.TestClock, re.LaterAt, re.LaterAt != 0
}

// laterRefund gives a refund its card's later status at its time (ref
// §2.6, docs.stripe.com/testing "Simulate an asynchronous refund"): the
// pending refund succeeds; the refund of the card that fails later fails,
// with its failure_reason, and the charge gets the amount back as
// unrefunded.
func laterRefund(u *Unit, re *Refund, at int64) error {
	ch, err := Get[*Charge](u.tx, TableCharges, "charge", re.Charge, "charge")
	if err != nil {
		return err
	}
	later := ch.TestCard().Refund()
	n := re.Clone()
	n.Status, n.LaterAt = RefundStatus(later.Later), 0
	if n.Status == RefundFailed {
		n.FailureReason = later.FailureReason
	}
	if err := u.tx.Put(TableRefunds, n); err != nil {
		return err
	}
	if n.Status != RefundFailed {
		return nil
	}
	c := ch.Clone()
	c.AmountRefunded -= re.Amount
	return u.tx.Put(TableCharges, c)
}

// Clone is a copy of the refund to change and store again.
func (re *Refund) Clone() *Refund {
	n := *re
	n.Metadata = maps.Clone(re.Metadata)
	return &n
}

func (re *Refund) clock() string { return re.TestClock }

// RefundCreate is POST /v1/refunds.
type RefundCreate struct {
	Charge, PaymentIntent Opt[string]
	Amount                Opt[int64]
	Reason                string
	Metadata              metadata.Patch
}

// CreateRefund refunds a charge, named directly or as a PaymentIntent's
// latest charge (both given, they must agree): amount, by default what is
// left unrefunded of what was captured. The card decides the refund's
// status (succeeded at once, except the pending-refund card's); the charge's
// amount_refunded counts it (charge.refunded). The invoice it paid stays
// paid (credit notes are not modelled).
func CreateRefund(u *Unit, in RefundCreate) (*Refund, error) {
	ch, err := refundedCharge(u, in)
	if err != nil {
		return nil, err
	}
	left := ch.AmountCaptured - ch.AmountRefunded
	if ch.Status != ChargeSucceeded || !ch.Captured {
		return nil, apierr.InvalidRequest("", "charge", "Charge %s cannot be refunded: it was not captured.", ch.ID)
	}
	if left <= 0 {
		return nil, apierr.InvalidRequest("charge_already_refunded", "charge", "Charge %s has already been refunded.", ch.ID)
	}
	amount := left
	if in.Amount.Set {
		amount = in.Amount.V
		if amount <= 0 {
			return nil, apierr.Invalid("amount", "Invalid positive integer")
		}
		if amount > left {
			return nil, apierr.Invalid("amount", "Refund amount (%s) is greater than unrefunded amount on charge (%s)",
				calc.FormatMinor(decimal.NewFromInt(amount), ch.Currency), calc.FormatMinor(decimal.NewFromInt(left), ch.Currency))
		}
	}
	if err := roomToRefund(u, ch.ID); err != nil {
		return nil, err
	}
	md, err := metadata.Apply(map[string]string{}, in.Metadata)
	if err != nil {
		return nil, err
	}
	behaviour := ch.TestCard().Refund()
	created := u.EventTime(ch)
	re := &Refund{Meta: u.ids.NewMeta("re", created), Charge: ch.ID, PaymentIntent: ch.PaymentIntent, Amount: amount, Currency: ch.Currency,
		Status: RefundStatus(behaviour.Initial), Reason: in.Reason, Metadata: md, TestClock: ch.TestClock}
	if behaviour.Later != "" {
		re.LaterAt = created + int64(behaviour.After/time.Second)
	}
	if err := u.tx.Put(TableRefunds, re); err != nil {
		return nil, err
	}
	c := ch.Clone()
	c.AmountRefunded += amount
	return re, u.tx.Put(TableCharges, c)
}

// MaxRefundsPerCharge is how many refunds one charge can have. Stripe
// documents no number, only that the refunds add up to at most the charge's
// amount; that leaves up to 99,999,999 one-cent refunds of a large charge, so
// the emulator stops at a generous bound [I]. Every refund counts, failed and
// canceled ones too (each is kept).
const MaxRefundsPerCharge = 1000

// roomToRefund refuses a refund of a charge that has MaxRefundsPerCharge
// refunds already: a 400 naming the limit ([I] its text; no code).
func roomToRefund(u *Unit, charge string) error {
	if full, err := atLeast(u, TableRefunds, "charge", charge, MaxRefundsPerCharge); err != nil || !full {
		return err
	}
	return apierr.InvalidRequest("", "", "Charge %s already has the maximum of %d refunds; refund the rest in one refund (omit amount for all that is left).",
		charge, MaxRefundsPerCharge)
}

// refundedCharge is the charge a refund names.
func refundedCharge(u *Unit, in RefundCreate) (*Charge, error) {
	id := in.Charge.V
	if in.PaymentIntent.Set {
		pi, err := Get[*PaymentIntent](u.tx, TablePaymentIntents, "payment_intent", in.PaymentIntent.V, "payment_intent")
		if err != nil {
			return nil, err
		}
		if pi.LatestCharge == "" {
			return nil, apierr.InvalidRequest("", "payment_intent", "PaymentIntent %s does not have a successful charge to refund.", pi.ID)
		}
		if in.Charge.Set && in.Charge.V != pi.LatestCharge {
			return nil, apierr.InvalidRequest("", "charge", "The charge %s is not the charge of the PaymentIntent %s.", in.Charge.V, pi.ID)
		}
		id = pi.LatestCharge
	} else if !in.Charge.Set || in.Charge.V == "" {
		return nil, apierr.InvalidRequest("parameter_missing", "charge", "One of the following parameters is required: charge, payment_intent.")
	}
	return Get[*Charge](u.tx, TableCharges, "charge", id, "charge")
}

// CancelRefund cancels a refund that is still pending (the pending-refund
// card's): the charge gets the amount back as unrefunded.
func CancelRefund(u *Unit, re *Refund) (*Refund, error) {
	if re.Status != RefundPending {
		return nil, apierr.InvalidRequest("", "", "Only a pending refund can be canceled; refund %s is %s.", re.ID, re.Status)
	}
	ch, err := Get[*Charge](u.tx, TableCharges, "charge", re.Charge, "charge")
	if err != nil {
		return nil, err
	}
	n := re.Clone()
	n.Status, n.LaterAt = RefundCanceled, 0
	if err := u.tx.Put(TableRefunds, n); err != nil {
		return nil, err
	}
	c := ch.Clone()
	c.AmountRefunded -= re.Amount
	return n, u.tx.Put(TableCharges, c)
}
