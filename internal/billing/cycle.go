package billing

import "github.com/stripe-emulator/stripe-emulator/internal/store"

// Billing over time: what happens when time passes (the emulator's clock, or a
// test clock being advanced). Subscriptions and invoices are indexed by when
// they are next due (the "due" index of their tables); the due work runs every
// due transition in time order.

const (
	// UpcomingNotice is how long before a renewal invoice.upcoming is sent, and
	// before a trial ends customer.subscription.trial_will_end.
	UpcomingNotice = 3 * 24 * 60 * 60 // transitional: unexported in d7
	// finalizationGrace is how long a renewal invoice stays a draft: usage
	// reported for the period meanwhile is still billed on it.
	finalizationGrace = 60 * 60
)

// Transition is what is next due for a subscription or an invoice.
type Transition uint8 // transitional: unexported in d7

// The transitions, in no particular order (they are run by time).
const (
	NoTransition Transition = iota
	TrialNotice
	UpcomingNoticeDue
	CancelAtDue
	PeriodEndDue
	FinalizeDue
	OverdueDue
)

// Next is a subscription's next transition and its time.
func (s *Subscription) Next() (Transition, int64) { // transitional: unexported in d7
	if !s.Live() || s.Status == SubscriptionPaused {
		return NoTransition, 0
	}
	kind, at := PeriodEndDue, s.PeriodEnd
	if s.CancelAt != 0 && s.CancelAt < at {
		kind, at = CancelAtDue, s.CancelAt
	}
	if s.Status == SubscriptionTrialing {
		if n := max(s.TrialEnd-UpcomingNotice, s.PeriodStart); !s.TrialNoticeSent && n < at {
			kind, at = TrialNotice, n
		}
	} else if n := s.PeriodEnd - UpcomingNotice; s.UpcomingNoticeFor != s.PeriodEnd && !s.EndsAtPeriodEnd() && n > s.PeriodStart && n < at {
		kind, at = UpcomingNoticeDue, n
	}
	return kind, at
}

// Next is an invoice's next transition: finalization of an auto-advancing
// draft, or the due date of an open invoice sent to the customer.
func (inv *Invoice) Next() (Transition, int64) { // transitional: unexported in d7
	switch {
	case inv.Status == InvoiceDraft && inv.AutoAdvance && inv.FinalizesAt != 0:
		return FinalizeDue, inv.FinalizesAt
	case inv.Status == InvoiceOpen && inv.CollectionMethod == "send_invoice" && inv.DueDate != 0 && !inv.OverdueNotified:
		return OverdueDue, inv.DueDate
	}
	return NoTransition, 0
}

// subscriptionDue is the subscriptions' due index: the clock group and time of
// a subscription's next transition.
func subscriptionDue(r store.Record) (string, int64, bool) {
	sub := r.(*Subscription)
	kind, at := sub.Next()
	return sub.TestClock, at, kind != NoTransition
}

// invoiceDue is the invoices' due index.
func invoiceDue(r store.Record) (string, int64, bool) {
	inv := r.(*Invoice)
	kind, at := inv.Next()
	return inv.TestClock, at, kind != NoTransition
}
