package billing

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
)

// A billing mode is the set of rules by which Stripe bills a subscription's
// changes. API 2024-06-20 has one, classic: billing_mode arrives in
// 2025-06-30.basil, where flexible becomes possible, and flexible is the
// default from 2025-09-30.clover. The rules that differ between the two are
// asked of the subscription's mode, here and nowhere else, so that flexible
// can sit beside classic as a second implementation.
//
// What classic means for meter-based prices (Stripe's "Compare classic and
// flexible billing mode" page):
//   - a price switch mid-period: "Stripe only bills for the usage that was
//     reported since changing to the current price"; usage before the switch
//     is not billed at all;
//   - removing a usage-based item mid-period: "No invoice item or invoice is
//     generated for unbilled usage";
//   - adding one with proration_behavior=always_invoice: "A 0 GBP line item is
//     generated on the invoice for the usage-based item";
//   - backdating: the backdated range is billed "collectively as a single line
//     item", on the invoice the subscription makes when it next cycles (the
//     first period runs from the backdated start, so this needs no rule of its
//     own).
//
// The rules that hold in both modes (an item added mid-period counts usage
// from when it was added, a new price from the switch) are not asked of it.

// Mode is a subscription's billing mode.
type Mode string

// The billing modes.
const (
	ModeClassic  Mode = "classic"
	ModeFlexible Mode = "flexible"
)

// Mode is the subscription's billing mode, whose rules (rules) it bills by.
func (s *Subscription) Mode() Mode {
	if s.BillingMode == "" {
		return ModeClassic
	}
	return s.BillingMode
}

// resolve is the billing mode a request chose, checked: billing_mode[type]
// or the version's default; billing_mode[flexible] only with flexible, and
// its proration_discounts only included (there are no discounts to itemize).
func (in ModeRequest) resolve() (Mode, error) {
	mode := in.Default
	if in.Type.Set {
		mode = Mode(in.Type.V)
	}
	if !in.FlexibleGiven {
		return mode, nil
	}
	flexible, typ := paramPath(in.Param, "flexible"), paramPath(in.Param, "type")
	if mode != ModeFlexible {
		return "", apierr.Invalid(flexible, "%s can only be set when %s is flexible.", flexible, typ)
	}
	if pd := in.ProrationDiscounts; pd.Set && pd.V != "included" {
		param := paramPath(flexible, "proration_discounts")
		return "", apierr.InvalidRequest("", param, "stripe-emulator does not support %s=%s yet: it has no discounts to itemize. Leave it out, or use included.", param, pd.V)
	}
	return mode, nil
}

// setMode gives a new subscription its billing mode; stamped, the request
// chose it at now (billing_mode[updated_at]).
func (s *Subscription) setMode(mode Mode, stamped bool, now int64) {
	if mode == ModeFlexible {
		s.BillingMode = mode
	}
	if stamped {
		s.BillingModeSince = now
	}
}

// modeRules are the rules of a billing mode.
type modeRules interface {
	// BillsStoppedUsage reports whether the usage a metered price counted in
	// the current period is still billed, with the period, after the price
	// stops billing mid-period: its item deleted (clearUsage: with
	// clear_usage=true) or moved to another price.
	BillsStoppedUsage(pr *Price, clearUsage bool) bool
	// InvoicesStoppedUsage reports whether that usage is billed at once
	// instead, as an invoice item made by the change (unless the change's
	// proration_behavior is none).
	InvoicesStoppedUsage(clearUsage bool) bool
	// ZeroLineForAddedUsage reports whether a usage-based price that joins a
	// subscription within its cycle gets a line of 0 on the invoice the change
	// makes at once (proration_behavior=always_invoice).
	ZeroLineForAddedUsage() bool
	// ResetsAnchorOnIntervalChange reports whether a change to prices of
	// another interval restarts the billing cycle now.
	ResetsAnchorOnIntervalChange() bool
	// CreditsOriginalDebits reports whether a credit proration credits the
	// amounts debited for the credited time (one credit per debit), rather
	// than the item's current price and quantity.
	CreditsOriginalDebits() bool
	// SplitsBackdating reports whether a backdated start is billed on the
	// first invoice period by period, on a cycle anchored at the backdated
	// start, rather than in one prorated line.
	SplitsBackdating() bool
	// ProratesTruncatedPeriod reports whether a new subscription's first
	// period, cut short by a cancel_at before its end, is charged pro rata
	// (prorate: its proration_behavior is not none) rather than whole.
	ProratesTruncatedPeriod(prorate bool) bool
	// InvoicesPendingOnReset reports whether the invoice of a change that
	// restarts the billing cycle, made with proration_behavior behavior, takes
	// the invoice items pending before the change.
	InvoicesPendingOnReset(behavior ProrationBehavior) bool
	// ShowsFirstTrialStart reports whether trial_start is the first trial
	// ever, rather than the most recent.
	ShowsFirstTrialStart() bool
	// TrialEndsAtCancel reports whether a cancel_at before a trial's end
	// rewrites trial_end to it.
	TrialEndsAtCancel() bool
	// TrialLineText is the description of a trial's free line.
	TrialLineText(quantity int64, product string) string
}

// rules are the rules of the subscription's billing mode.
func (s *Subscription) rules() modeRules {
	if s.Mode() == ModeFlexible {
		return flexibleMode{}
	}
	return classicMode{}
}

// classicMode is Stripe's classic billing mode.
type classicMode struct{}

// BillsStoppedUsage: a meter-based price bills nothing of it. Legacy usage
// records (a metered price without a meter, classic-only: they are gone by the
// time flexible arrives) keep their documented rule: the usage reported for
// the item is billed with the period unless the item is deleted with
// clear_usage=true.
func (classicMode) BillsStoppedUsage(pr *Price, clearUsage bool) bool {
	return pr.Recurring.Meter == "" && !clearUsage
}

// InvoicesStoppedUsage: "No invoice item or invoice is generated for unbilled
// usage when removing a usage-based subscription item."
func (classicMode) InvoicesStoppedUsage(bool) bool { return false }

func (classicMode) ZeroLineForAddedUsage() bool { return true }

// ResetsAnchorOnIntervalChange: the anchor is "automatically reset to the
// current date when switching ... to a different price with a different
// recurring interval".
func (classicMode) ResetsAnchorOnIntervalChange() bool { return true }

// CreditsOriginalDebits: "the credit proration amounts are calculated based
// on the value of the subscription item's current price, tax, quantity".
func (classicMode) CreditsOriginalDebits() bool { return false }

// SplitsBackdating: "Charges for the entire backdated period are calculated
// collectively as a single line item."
func (classicMode) SplitsBackdating() bool { return false }

// ProratesTruncatedPeriod: a first period truncated by cancel_at has
// "prorations applied", whatever proration_behavior says.
func (classicMode) ProratesTruncatedPeriod(bool) bool { return true }

// InvoicesPendingOnReset: pending invoice items are included on anchor-reset
// invoices "only when proration behavior isn't always_invoice" (the
// change's own prorations and add_invoice_items are not pending before it:
// they are invoiced [I]).
func (classicMode) InvoicesPendingOnReset(behavior ProrationBehavior) bool {
	return behavior != ProrationAlwaysInvoice
}

// Trials: "trial_start = first trial ever"; "cancel_at before trial_end
// rewrites trial_end"; the trial's line is "Trial period for {product}".
func (classicMode) ShowsFirstTrialStart() bool { return true }
func (classicMode) TrialEndsAtCancel() bool    { return true }
func (classicMode) TrialLineText(quantity int64, product string) string {
	return calc.TrialText(false, quantity, product)
}

// flexibleMode is Stripe's flexible billing mode (2025-06-30.basil), from the
// same page:
//   - usage before a price change: "Stripe bills for all usage in the current
//     period at the price effective at the time it's reported": the usage of
//     the price moved from is billed at once, as an invoice item ("we create
//     an invoice item that bills for previously reported metered usage when
//     you remove a metered price");
//   - removing a usage-based item: "An invoice item is generated for unbilled
//     usage"; "If you want to remove a metered price without billing for it,
//     set proration_behavior to none";
//   - adding one with always_invoice: "A 0 GBP line item isn't added";
//   - the billing cycle anchor is "never automatically reset";
//   - credit prorations "use the original debited amount instead of current
//     subscription values ... one for each corresponding original debit";
//   - backdating: "Backdated time ranges are split into multiple invoice line
//     items according to billing period boundaries", on the first invoice;
//   - a first period truncated by cancel_at: "proration_behavior=none
//     disables" its prorations (the truncated period is charged whole [I]);
//   - pending invoice items are "always included on all invoices a
//     subscription generates";
//   - trials: trial_start is "the most recent trial", trial_end is
//     preserved before a cancel_at, a trial's line is "Free trial for
//     {quantity} × {product name}" (Stripe writes ×, as in its other lines).
type flexibleMode struct{}

// BillsStoppedUsage: never with the period; InvoicesStoppedUsage bills it.
func (flexibleMode) BillsStoppedUsage(*Price, bool) bool { return false }

// InvoicesStoppedUsage: always, but for usage cleared (clear_usage=true,
// which asks for the usage not to be billed [I]).
func (flexibleMode) InvoicesStoppedUsage(clearUsage bool) bool { return !clearUsage }

func (flexibleMode) ZeroLineForAddedUsage() bool        { return false }
func (flexibleMode) ResetsAnchorOnIntervalChange() bool { return false }
func (flexibleMode) CreditsOriginalDebits() bool        { return true }
func (flexibleMode) SplitsBackdating() bool             { return true }

func (flexibleMode) ProratesTruncatedPeriod(prorate bool) bool { return prorate }

func (flexibleMode) InvoicesPendingOnReset(ProrationBehavior) bool { return true }
func (flexibleMode) ShowsFirstTrialStart() bool                    { return false }
func (flexibleMode) TrialEndsAtCancel() bool                       { return false }
func (flexibleMode) TrialLineText(quantity int64, product string) string {
	return calc.TrialText(true, quantity, product)
}
