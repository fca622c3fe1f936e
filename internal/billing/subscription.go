package billing

import (
	"maps"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Subscription is a stored subscription; its items are in their own table.
type Subscription struct {
	store.Meta
	Customer           string
	Status             SubscriptionStatus
	Currency           string
	Interval           calc.Interval
	BillingCycleAnchor int64
	PeriodStart        int64
	PeriodEnd          int64
	StartDate          int64
	CollectionMethod   string
	DaysUntilDue       *int64
	CancelAtPeriodEnd  bool
	CancelAt           int64
	CanceledAt         int64
	EndedAt            int64
	CancelComment      string
	CancelFeedback     string
	CancelReason       string
	TrialStart         int64
	TrialEnd           int64
	TrialEndBehavior   string // trial_settings[end_behavior][missing_payment_method]
	Description        string
	Metadata           map[string]string
	LatestInvoice      string
	TestClock          string
	UpcomingNoticeFor  int64 // the period end invoice.upcoming was sent for
	TrialNoticeSent    bool
	// StubFreeUntil is the end of the stub from a trial's end up to the first
	// billing date on a billing_cycle_anchor ahead, when the subscription was
	// created with proration_behavior=none: that stub is free (see freeStub).
	// 0: none, or charged prorated (create_prorations; and state files saved
	// before the field existed, which keep charging it). A change that moves
	// the anchor (a new trial_end, a cycle restarted) clears it.
	StubFreeUntil int64
	// Retired are metered prices the subscription's items stopped billing during
	// the current period (an item deleted, or moved to another price) whose
	// usage up to then is still billed with the period: only legacy usage
	// records, in classic billing mode (see modeRules).
	Retired []RetiredItem
	// DefaultPaymentMethod is a payment method attached to the customer, or
	// "" (PaymentMethodFor); left out of state files when "".
	DefaultPaymentMethod string `json:",omitempty"`
	// PendingSetupIntent is the SetupIntent that collects a card for a
	// subscription created default_incomplete whose first invoice charged
	// nothing (ref §3b), until it succeeds.
	PendingSetupIntent string `json:",omitempty"`
	// SaveDefaultPaymentMethod: payment_settings[save_default_payment_method]
	// is on_subscription: the payment method that pays one of its invoices
	// becomes its default_payment_method.
	SaveDefaultPaymentMethod bool `json:",omitempty"`
	// IncompleteUntil is when an incomplete subscription expires unless its
	// first invoice is paid (incompleteFor after its creation).
	IncompleteUntil int64 `json:",omitempty"`
	// BillingMode is the subscription's billing mode (billing_mode[type]):
	// "" is classic, the mode of every subscription made before billing
	// modes existed (2025-06-30.basil); see Mode.
	BillingMode Mode `json:",omitempty"`
	// BillingModeSince is when a request chose the billing mode (a
	// subscription created at 2025-06-30.basil or later), 0 for none:
	// billing_mode[updated_at].
	BillingModeSince int64 `json:",omitempty"`
	// FirstTrialStart is when the subscription's first trial started, once a
	// later trial has moved TrialStart on (0 otherwise): classic billing mode
	// shows it as trial_start (ShownTrialStart).
	FirstTrialStart int64 `json:",omitempty"`
	// PausedAt and PauseReason are when and why Pause paused the
	// subscription (status_details[paused]); 0 and "" otherwise (a trial
	// that ended without a payment method pauses it too, at its end).
	PausedAt    int64  `json:",omitempty"`
	PauseReason string `json:",omitempty"`
	// PendingUpdate is an update made with
	// payment_behavior=pending_if_incomplete whose invoice is not paid yet
	// (pending.go); nil for none.
	PendingUpdate *PendingUpdate `json:",omitempty"`
}

// RetiredItem is a metered price an item billed from Since until Until.
type RetiredItem struct {
	Item         string
	Price        string
	Since, Until int64
}

// Clone is a copy of the subscription to change and store again.
func (s *Subscription) Clone() *Subscription {
	n := *s
	n.Metadata = maps.Clone(s.Metadata)
	n.Retired = slices.Clone(s.Retired)
	return &n
}

// ShownTrialStart is the subscription's trial_start as its billing mode
// shows it: the first trial ever, or the most recent (TrialStart, the trial
// whose usage is not billed).
func (s *Subscription) ShownTrialStart() int64 {
	if s.FirstTrialStart != 0 && s.rules().ShowsFirstTrialStart() {
		return s.FirstTrialStart
	}
	return s.TrialStart
}

// startTrial starts a new trial of the subscription now, up to end: its
// period starts now and ends with the trial.
func (s *Subscription) startTrial(now, end int64) {
	if s.Status != SubscriptionTrialing {
		if s.TrialStart != 0 && s.FirstTrialStart == 0 {
			s.FirstTrialStart = s.TrialStart
		}
		s.TrialStart, s.PeriodStart = now, now
	}
	s.Status, s.TrialEnd = SubscriptionTrialing, end
	s.BillingCycleAnchor, s.PeriodEnd, s.StubFreeUntil = end, end, 0
}

// capTrialAtCancel ends a trial at a cancel_at before its end, in a billing
// mode that rewrites trial_end to it.
func (s *Subscription) capTrialAtCancel() {
	if s.Status != SubscriptionTrialing || s.CancelAt == 0 || s.CancelAt >= s.TrialEnd || !s.rules().TrialEndsAtCancel() {
		return
	}
	if s.PeriodEnd == s.TrialEnd {
		s.PeriodEnd = s.CancelAt
	}
	if s.BillingCycleAnchor == s.TrialEnd {
		s.BillingCycleAnchor = s.CancelAt
	}
	s.TrialEnd = s.CancelAt
}

// Live reports whether the subscription still bills (not canceled or ended).
func (s *Subscription) Live() bool {
	return s.Status != SubscriptionCanceled && s.Status != SubscriptionIncompleteExpired
}

func (s *Subscription) clock() string { return s.TestClock }

// EndsAtPeriodEnd reports whether the subscription ends when its period does.
func (s *Subscription) EndsAtPeriodEnd() bool {
	return s.CancelAtPeriodEnd || s.CancelAt != 0 && s.CancelAt <= s.PeriodEnd
}

// EffectiveCancelAt is when a live subscription will end: cancel_at, or the
// period end with cancel_at_period_end.
func (s *Subscription) EffectiveCancelAt() int64 {
	if !s.Live() {
		return s.CancelAt
	}
	if s.CancelAtPeriodEnd {
		return s.PeriodEnd
	}
	return s.CancelAt
}

// cycleAt is an anchor for the billing cycle whose periods end at end: the
// subscription's own anchor when end is one of its period boundaries, else end
// itself (the end of a period that stops early).
func (s *Subscription) cycleAt(end int64) int64 {
	if _, pe := calc.PeriodContaining(s.BillingCycleAnchor, s.Interval, end-1); pe != end {
		return end
	}
	return s.BillingCycleAnchor
}

// prorate is the charge for [from, end), at amount a whole period, where end is
// the end of a period: whole periods at amount, and the part of the one from
// falls in pro rata to the second.
func (s *Subscription) prorate(amount decimal.Decimal, from, end int64) decimal.Decimal {
	return calc.Stub(amount, s.cycleAt(end), s.Interval, from, end)
}

// stubAfterTrial is the end of the stub that follows a trial ending at
// trialEnd on a cycle anchored at anchor: the first billing date after the
// trial's end (0 if the trial ends on one: the first paid period is whole).
func stubAfterTrial(anchor int64, iv calc.Interval, trialEnd int64) int64 {
	if start, end := calc.PeriodContaining(anchor, iv, trialEnd); start != trialEnd {
		return end
	}
	return 0
}

// freeStub reports whether the period ending at end is the stub after the
// trial that proration_behavior=none made free: its licensed items are not
// charged for it. Stripe: "If proration_behavior is none, customers receive
// the initial period up to the first full invoice date for free."
func (s *Subscription) freeStub(end int64) bool {
	return s.StubFreeUntil != 0 && end == s.StubFreeUntil
}

// adoptPrice checks that a price can join the subscription and, for the first
// one, sets its currency and interval.
func (s *Subscription) adoptPrice(pr *Price, param string) error {
	if pr.Recurring == nil {
		return apierr.Invalid(param, "The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.")
	}
	iv := calc.Interval{Unit: pr.Recurring.Interval, Count: pr.Recurring.IntervalCount}
	if s.Currency == "" {
		s.Currency, s.Interval = pr.Currency, iv
		return nil
	}
	if pr.Currency != s.Currency {
		return apierr.Invalid(param, "Currency and interval fields must match across all plans on this subscription. Found mismatch in currency field.")
	}
	if iv != s.Interval {
		return apierr.Invalid(param, "Currency and interval fields must match across all plans on this subscription. Found mismatch in interval field.")
	}
	return nil
}

// Item is a stored subscription item.
type Item struct {
	store.Meta
	Subscription string
	Price        string
	Quantity     int64 // licensed items only
	Metadata     map[string]string
	// PriceSince is when the item started billing its price, if that was
	// during a period: it was added to the subscription then, or moved to the
	// price (0: since the subscription started). Its metered usage counts from
	// then.
	PriceSince int64
}

// Clone is a copy of the item to change and store again.
func (it *Item) Clone() *Item {
	n := *it
	n.Metadata = maps.Clone(it.Metadata)
	return &n
}
