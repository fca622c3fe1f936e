package billing

import (
	"maps"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Invoice is a stored invoice, or a preview (Preview: never stored).
type Invoice struct {
	store.Meta
	Preview              bool
	Customer             string
	Subscription         string
	Status               InvoiceStatus // draft, open, paid, uncollectible, void
	BillingReason        string
	CollectionMethod     string
	Currency             string
	PeriodStart          int64
	PeriodEnd            int64
	Lines                []Line
	StartingBalance      int64
	EndingBalance        *int64
	AmountPaid           int64
	Paid                 bool
	PaidOutOfBand        bool
	AutoAdvance          bool
	DueDate              int64
	Number               string
	Description          string
	Metadata             map[string]string
	FinalizedAt          int64
	PaidAt               int64
	VoidedAt             int64
	UncollectibleAt      int64
	FinalizesAt          int64 // automatically_finalizes_at, for drafts that auto-advance
	NextPaymentAttempt   int64
	AttemptCount         int64
	Attempted            bool
	EffectiveAt          int64
	SubscriptionMetadata map[string]string
	TestClock            string
	CustomerEmail        string
	CustomerName         string
	CustomerPhone        string
	CustomerAddress      Attrs
	CustomerShipping     Attrs
	CustomerTaxExempt    string
	LinesURL             string // previews: the lines endpoint with the preview's parameters
	OverdueNotified      bool   // the due date of a send_invoice invoice passed unpaid
	// PaymentIntent is the intent collection made for the amount due (at
	// finalization, for charge_automatically invoices at or above the
	// minimum charge); Charge its latest charge.
	PaymentIntent string `json:",omitempty"`
	Charge        string `json:",omitempty"`
	// FailedAttempts counts the attempts that failed (each raises
	// invoice.payment_failed); ActionRequired is set while the intent
	// waits for 3D Secure (invoice.payment_action_required).
	FailedAttempts int  `json:",omitempty"`
	ActionRequired bool `json:",omitempty"`
	// RetryFrom is when the first automatic attempt failed, Retries how
	// many retries have been due since (retry.go); HardDeclined is the
	// payment method a hard decline came from, not retried until the
	// invoice's defaults name another.
	RetryFrom    int64  `json:",omitempty"`
	Retries      int    `json:",omitempty"`
	HardDeclined string `json:",omitempty"`
}

// Line is one line of an invoice (stored with it, or built for a preview).
type Line struct {
	ID               string
	Type             string // "subscription" or "invoiceitem"
	Amount           int64
	Currency         string
	Description      string
	PeriodStart      int64
	PeriodEnd        int64
	Price            string
	Quantity         int64
	UnitAmount       *decimal.Decimal // unit_amount_excluding_tax; nil renders null
	Proration        bool
	Subscription     string
	SubscriptionItem string
	InvoiceItem      string
	Discountable     bool
	Metadata         map[string]string
	// CustomDescription marks a description set through the line endpoint:
	// re-rating the line's usage keeps it.
	CustomDescription bool
}

// Clone is a copy of the invoice to change and store again.
func (inv *Invoice) Clone() *Invoice {
	n := *inv
	n.Lines = append([]Line(nil), inv.Lines...)
	n.Metadata = maps.Clone(inv.Metadata)
	return &n
}

func (inv *Invoice) clock() string { return inv.TestClock }

// Subtotal is the sum of the lines (no discounts, no tax in the emulator).
func (inv *Invoice) Subtotal() int64 {
	var t int64
	for _, l := range inv.Lines {
		t = calc.Add(t, l.Amount)
	}
	return t
}

// AmountDue is the total adjusted by the customer's balance (a positive balance
// is owed and adds; a credit subtracts), never below 0.
func (inv *Invoice) AmountDue() int64 {
	return max(0, calc.Add(inv.Subtotal(), inv.StartingBalance))
}

// AmountRemaining is what is still to be paid of an open or uncollectible invoice.
func (inv *Invoice) AmountRemaining() int64 {
	if inv.Status == InvoicePaid || inv.Status == InvoiceVoid {
		return 0
	}
	return max(0, inv.AmountDue()-inv.AmountPaid)
}
