package billing

import (
	"slices"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Starting a subscription: its customer, its items and their prices, its
// settings, its trial and its first period (from now or a backdated start,
// up to the trial's end, a billing_cycle_anchor ahead, or a whole period),
// and the invoice it starts with.

// maxTrialDays is how far ahead a trial may end: two years.
const maxTrialDays = 730

// maxItems is how many items a subscription may have.
const maxItems = 20

// CreateSubscription creates a subscription of a customer, with its items,
// and bills its start (firstInvoice). It returns the subscription as stored.
func CreateSubscription(u *Unit, in SubscriptionCreate) (*Subscription, error) {
	if !in.Customer.Set || in.Customer.V == "" {
		return nil, apierr.InvalidEmpty("customer")
	}
	cu, err := GetCustomer(u.tx, in.Customer.V, "customer", false)
	if err != nil {
		return nil, err
	}
	now := u.CustomerNow(cu.ID)
	start, err := backdatedStart(in.BackdateStartDate, now)
	if err != nil {
		return nil, err
	}
	sub := &Subscription{Meta: u.ids.NewMeta("sub", now), Customer: cu.ID, Status: SubscriptionActive, CollectionMethod: "charge_automatically",
		StartDate: start, TrialEndBehavior: "create_invoice", Metadata: map[string]string{}, TestClock: cu.TestClock}
	if in.PaymentBehavior == PaymentPendingIfIncomplete {
		return nil, apierr.Invalid("payment_behavior", "You can not pass payment_behavior=pending_if_incomplete when creating a subscription.")
	}
	mode, err := in.Mode.resolve()
	if err != nil {
		return nil, err
	}
	sub.setMode(mode, in.Mode.Stamped, now)
	if !in.ItemsGiven || len(in.Items) == 0 {
		return nil, apierr.ParameterMissing("items")
	}
	items, err := newItems(u, sub, in.Items, nil, now)
	if err != nil {
		return nil, err
	}
	if in.Currency.Set && in.Currency.V != sub.Currency {
		return nil, apierr.Invalid("currency", "The currency %s does not match the currency of the subscription's prices (%s).", in.Currency.V, sub.Currency)
	}
	if err := setCustomerCurrency(u, cu, sub.Currency); err != nil {
		return nil, err
	}
	if err := applySettings(sub, in.Settings, now); err != nil {
		return nil, err
	}
	if err := applyDefaultPaymentMethod(u, sub, in.Settings.DefaultPaymentMethod); err != nil {
		return nil, err
	}
	trialEnd, err := newTrialEnd(u, in, items, now)
	if err != nil {
		return nil, err
	}
	anchor := int64(0)
	if in.Anchor.Set {
		a := in.Anchor.V
		firstEnd := calc.AddPeriods(max(now, trialEnd), sub.Interval, 1)
		if a < now || a > firstEnd {
			return nil, apierr.Invalid("billing_cycle_anchor", "billing_cycle_anchor cannot be earlier than the current time or later than the next natural billing date (%d) of the subscription.", firstEnd)
		}
		anchor = a
	}
	prorate := in.ProrationBehavior != ProrationNone
	firstPeriod(sub, start, now, trialEnd, anchor, prorate)
	sub.capTrialAtCancel()
	if truncateAtCancel(sub, now) {
		prorate = sub.rules().ProratesTruncatedPeriod(prorate)
	}
	if n := backdatedPeriods(sub) * int64(len(items)); n > maxBackdatedLines {
		return nil, apierr.Invalid("backdate_start_date", "A subscription in flexible billing mode bills its backdated time period by period, in at most %d invoice lines; backdate_start_date %d would need %d. Backdate it less far.", maxBackdatedLines, start, n)
	}
	if err := u.tx.Put(TableSubscriptions, sub); err != nil {
		return nil, err
	}
	for _, it := range items {
		if err := u.tx.Put(TableSubscriptionItems, it); err != nil {
			return nil, err
		}
	}
	if _, err := addInvoiceItems(u, sub, in.AddInvoiceItems, now); err != nil {
		return nil, err
	}
	behavior := in.PaymentBehavior
	if behavior == "" {
		behavior = PaymentAllowIncomplete
	}
	inv, err := firstInvoice(u, sub, items, prorate, collection{requirePaymentMethod: behavior != PaymentDefaultIncomplete,
		noAttempt: behavior == PaymentDefaultIncomplete})
	if err != nil {
		return nil, err
	}
	if inv == nil { // free until the anchor: no invoice yet
		return sub, nil
	}
	latest, err := GetSubscription(u.tx, sub.ID, "subscription") // collection may have changed its status
	if err != nil {
		return nil, err
	}
	n := latest.Clone()
	n.LatestInvoice = inv.ID
	switch {
	case inv.Status == InvoiceOpen && inv.PaymentIntent != "" && behavior == PaymentDefaultIncomplete:
		n.Status, n.IncompleteUntil = SubscriptionIncomplete, now+incompleteFor
	case inv.Status == InvoiceOpen && inv.PaymentIntent != "" && behavior == PaymentErrorIfIncomplete:
		return nil, firstPaymentError(u, inv)
	case inv.Paid && behavior == PaymentDefaultIncomplete:
		si, err := pendingSetupIntent(u, n, now)
		if err != nil {
			return nil, err
		}
		n.PendingSetupIntent = si.ID
	}
	return n, u.tx.Put(TableSubscriptions, n)
}

// PaymentBehavior is payment_behavior: what a subscription's creation (or
// update) does when its invoice is not paid at once (ref §3b–c).
type PaymentBehavior string

const (
	// PaymentAllowIncomplete (the default): the subscription is created
	// incomplete (updated past_due) when the payment fails or needs 3D
	// Secure; no payment method at all is Stripe's 400.
	PaymentAllowIncomplete PaymentBehavior = "allow_incomplete"
	// PaymentDefaultIncomplete: the invoice's PaymentIntent is not
	// confirmed; the subscription waits incomplete for the customer.
	PaymentDefaultIncomplete PaymentBehavior = "default_incomplete"
	// PaymentErrorIfIncomplete: a payment that fails or needs 3D Secure is
	// the request's 402, and nothing is created.
	PaymentErrorIfIncomplete PaymentBehavior = "error_if_incomplete"
	// PaymentPendingIfIncomplete: updates only.
	PaymentPendingIfIncomplete PaymentBehavior = "pending_if_incomplete"
)

// firstPaymentError is the 402 of error_if_incomplete for a first invoice
// left open: its PaymentIntent's decline, or
// subscription_payment_intent_requires_action (ref §3c, observed). The
// request rolls back, so it embeds nothing [I] (ref §7.3).
func firstPaymentError(u *Unit, inv *Invoice) error {
	pi, err := Get[*PaymentIntent](u.tx, TablePaymentIntents, "payment_intent", inv.PaymentIntent, "payment_intent")
	if err != nil {
		return err
	}
	if pi.Status == PaymentIntentRequiresAction {
		return apierr.SubscriptionRequiresAction()
	}
	if pi.LastError != nil {
		return pi.LastError.APIError()
	}
	return ErrNoPaymentMethod()
}

// newTrialEnd is when a new subscription's trial ends (0: no trial):
// trial_end, trial_period_days, or with trial_from_plan the first of its
// prices' trial_period_days.
func newTrialEnd(u *Unit, in SubscriptionCreate, items []*Item, now int64) (int64, error) {
	trialEnd := int64(0)
	if in.TrialEnd.Set && !in.TrialEnd.V.Now {
		trialEnd = in.TrialEnd.V.At
	}
	if in.TrialPeriodDays.Set {
		days := in.TrialPeriodDays.V
		if in.TrialEnd.Given() {
			return 0, apierr.Exclusive("trial_end", "trial_period_days")
		}
		if days < 0 || days > maxTrialDays {
			return 0, apierr.Invalid("trial_period_days", "Invalid trial_period_days: must be between 0 and 730.")
		}
		if days > 0 {
			trialEnd = now + days*86400
		}
	}
	if in.TrialFromPlan && trialEnd == 0 {
		for _, it := range items {
			if pr, _ := GetPrice(u.tx, it.Price, "price"); pr != nil && pr.Recurring.TrialPeriodDays != nil && *pr.Recurring.TrialPeriodDays > 0 {
				trialEnd = now + *pr.Recurring.TrialPeriodDays*86400
				break
			}
		}
	}
	if trialEnd != 0 {
		if err := checkTrialEnd("trial_end", trialEnd, now); err != nil {
			return 0, err
		}
	}
	return trialEnd, nil
}

// maxBackdatedLines is how many lines the backdated periods of a flexible
// subscription may make: "not supported above 250 lines".
const maxBackdatedLines = 250

// firstPeriod sets a new subscription's first period: from its start
// (backdated or now) to its first billing date, the trial's end, a
// billing_cycle_anchor ahead, or a whole period from now (the anchor), after
// a backdated start too. With a trial, a stub up to an anchor ahead is free
// unless it is prorated. A billing mode that splits backdating anchors the
// cycle at a backdated start instead (with no trial or anchor given): the
// first period is the one around now, the whole periods before it are
// billed with it (backdatedPeriods).
func firstPeriod(sub *Subscription, start, now, trialEnd, anchor int64, prorate bool) {
	sub.PeriodStart = start
	switch {
	case trialEnd != 0:
		sub.Status = SubscriptionTrialing
		sub.TrialStart, sub.TrialEnd = start, trialEnd
		sub.PeriodEnd = trialEnd
		sub.BillingCycleAnchor = trialEnd
		if anchor != 0 {
			sub.BillingCycleAnchor = anchor
			if !prorate {
				sub.StubFreeUntil = stubAfterTrial(anchor, sub.Interval, trialEnd)
			}
		}
	case anchor != 0 && anchor > now:
		sub.BillingCycleAnchor = anchor
		sub.PeriodEnd = anchor
	case anchor == 0 && start < now && sub.rules().SplitsBackdating():
		sub.BillingCycleAnchor = start
		sub.PeriodStart, sub.PeriodEnd = calc.PeriodContaining(start, sub.Interval, now)
	default:
		sub.BillingCycleAnchor = now
		sub.PeriodEnd = calc.AddPeriods(now, sub.Interval, 1)
	}
}

// truncateAtCancel cuts a new subscription's first period short at a
// cancel_at before its end: the period ends then, and so does the
// subscription, with no credit of unused time (none was charged). It reports
// whether it did. A trial, or a backdated start, keeps its first period [I]:
// their first invoice charges no time up to the cancel_at.
func truncateAtCancel(sub *Subscription, now int64) bool {
	if sub.CancelAt == 0 || sub.CancelAt >= sub.PeriodEnd || sub.Status == SubscriptionTrialing || sub.PeriodStart != now {
		return false
	}
	sub.PeriodEnd = sub.CancelAt
	return true
}

// backdatedStart is when a new subscription starts: backdate_start_date, which
// must be in the past (on the customer's clock, a test clock's time if it has
// one), or now.
func backdatedStart(b Opt[int64], now int64) (int64, error) {
	if !b.Set {
		return now, nil
	}
	if b.V >= now {
		return 0, apierr.Invalid("backdate_start_date", "backdate_start_date must be in the past: %d is not before the current time (%d).", b.V, now)
	}
	return b.V, nil
}

// checkTrialEnd refuses a trial end in the past or more than two years ahead.
func checkTrialEnd(param string, end, now int64) error {
	if end <= now {
		return apierr.Invalid(param, "Invalid timestamp: must be an integer Unix timestamp in the future.")
	}
	if end > now+maxTrialDays*86400 {
		return apierr.Invalid(param, "The maximum number of trial period days is %d (2 years).", maxTrialDays)
	}
	return nil
}

// applyDefaultPaymentMethod sets a subscription's default_payment_method: a
// payment method attached to its customer. The catalogue does not let it be
// unset (an empty value is Stripe's parameter_invalid_empty; detaching the
// payment method clears it). A magic pm_card_* id is refused: it is attached
// to nobody (design-16 §2.5).
func applyDefaultPaymentMethod(u *Unit, sub *Subscription, pm Opt[string]) error {
	if pm.Clear || (pm.Set && pm.V == "") {
		return apierr.InvalidEmpty("default_payment_method")
	}
	if !pm.Set {
		return nil
	}
	if _, err := AttachedPaymentMethod(u, pm.V, sub.Customer, "default_payment_method"); err != nil {
		return err
	}
	sub.DefaultPaymentMethod = pm.V
	return nil
}

// applySettings sets what create and update share, apart from items and the
// trial.
func applySettings(sub *Subscription, in SubscriptionSettings, now int64) error {
	if in.CollectionMethod.Set {
		sub.CollectionMethod = in.CollectionMethod.V
	}
	if in.DaysUntilDue.Set {
		d := in.DaysUntilDue.V
		if d < 0 || d > 730 {
			return apierr.Invalid("days_until_due", "Invalid days_until_due: must be between 0 and 730.")
		}
		sub.DaysUntilDue = &d
	}
	if sub.CollectionMethod == "send_invoice" && sub.DaysUntilDue == nil {
		return apierr.ParameterMissing("days_until_due")
	}
	if sub.CollectionMethod == "charge_automatically" && sub.DaysUntilDue != nil {
		if in.DaysUntilDue.Given() {
			return apierr.Invalid("days_until_due", "days_until_due can only be set when collection_method is send_invoice.")
		}
		sub.DaysUntilDue = nil
	}
	if in.CancelAtPeriodEnd.Set {
		v := in.CancelAtPeriodEnd.V
		if v && !sub.CancelAtPeriodEnd {
			sub.CanceledAt = now // Stripe's canceled_at: when the cancellation was asked for
		} else if !v {
			sub.CanceledAt = 0
		}
		sub.CancelAtPeriodEnd = v
		if v {
			sub.CancelAt = 0
		}
	}
	if in.CancelAt.Clear {
		sub.CancelAt = 0
	} else if in.CancelAt.Set {
		v := in.CancelAt.V
		if v <= now {
			return apierr.Invalid("cancel_at", "Invalid timestamp: cancel_at must be in the future.")
		}
		if sub.CancelAtPeriodEnd && !in.CancelAtPeriodEnd.Given() {
			sub.CancelAtPeriodEnd = false
		} else if in.CancelAtPeriodEnd.Given() && sub.CancelAtPeriodEnd {
			return apierr.Exclusive("cancel_at", "cancel_at_period_end")
		}
		sub.CancelAt = v
	}
	if in.Description.Set {
		sub.Description = in.Description.V
	}
	if in.TrialEndBehavior.Set {
		sub.TrialEndBehavior = in.TrialEndBehavior.V
	}
	if in.AutomaticTax {
		return apierr.InvalidRequest("", "automatic_tax[enabled]", "stripe-emulator does not calculate tax: automatic_tax[enabled] can only be false.")
	}
	if in.SaveDefaultPaymentMethod.Set {
		sub.SaveDefaultPaymentMethod = in.SaveDefaultPaymentMethod.V == "on_subscription"
	}
	md, err := metadata.Apply(sub.Metadata, in.Metadata)
	if err != nil {
		return err
	}
	sub.Metadata = md
	return nil
}

// newItems builds the items a change adds to sub, checking that their
// prices share a currency and an interval (with existing, when updating).
// Nothing is stored.
func newItems(u *Unit, sub *Subscription, changes []ItemChange, existing []*Item, now int64) ([]*Item, error) {
	if len(changes)+len(existing) > maxItems {
		return nil, apierr.Invalid("items", "A subscription can have at most 20 items.")
	}
	used := map[string]bool{}
	for _, it := range existing {
		used[it.Price] = true
	}
	var out []*Item
	for _, ic := range changes {
		pr, err := itemPrice(u, ic)
		if err != nil {
			return nil, err
		}
		if err := checkAttachable(pr, ic); err != nil {
			return nil, err
		}
		if used[pr.ID] {
			return nil, apierr.Invalid(paramPath(ic.Param, "price"), "Cannot add multiple subscription items with the same plan: %s", pr.ID)
		}
		used[pr.ID] = true
		if err := sub.adoptPrice(pr, paramPath(ic.Param, "price")); err != nil {
			return nil, err
		}
		it := &Item{Meta: u.ids.NewMeta("si", now), Subscription: sub.ID, Price: pr.ID, Metadata: map[string]string{}}
		if err := setItemQuantity(it, pr, ic); err != nil {
			return nil, err
		}
		md, err := metadata.Apply(it.Metadata, ic.Metadata)
		if err != nil {
			return nil, err
		}
		it.Metadata = md
		out = append(out, it)
	}
	return out, nil
}

// setItemQuantity applies an item change's quantity for the item's new price
// pr: refused for metered prices; for licensed ones 1 unless given or already
// set.
func setItemQuantity(it *Item, pr *Price, ic ItemChange) error {
	q := ic.Quantity
	switch {
	case pr.Metered() && q.Set:
		return apierr.Invalid(paramPath(ic.Param, "quantity"), "You cannot set the quantity for metered plans.")
	case pr.Metered():
		it.Quantity = 0
	case q.Set && q.V < 0:
		return apierr.Invalid(paramPath(ic.Param, "quantity"), "This value must be greater than or equal to 0.")
	case q.Set:
		it.Quantity = q.V
	case it.Quantity == 0:
		it.Quantity = 1
	}
	return nil
}

// itemPrice resolves an item's price, plan or price_data (which creates a
// price).
func itemPrice(u *Unit, ic ItemChange) (*Price, error) {
	ref := ic.Price
	n := 0
	for _, b := range []bool{ref.Price.Set, ref.Plan.Set, ref.Inline != nil} {
		if b {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, apierr.InvalidRequest("parameter_missing", ic.Param, "You must pass one of plan, price, or price_data on %s.", ic.Param)
	case n > 1:
		return nil, apierr.InvalidRequest("parameters_exclusive", paramPath(ic.Param, "price"), "You may only specify one of these parameters: plan, price, price_data.")
	case ref.Inline != nil:
		return ref.Inline()
	}
	id, param := ref.Price.V, paramPath(ic.Param, "price")
	if ref.Plan.Set {
		id, param = ref.Plan.V, paramPath(ic.Param, "plan")
	}
	if id == "" {
		return nil, apierr.InvalidEmpty(param)
	}
	pr, err := GetPrice(u.tx, id, param)
	if err != nil {
		return nil, err
	}
	if !pr.Active {
		return nil, apierr.Invalid(param, "The price specified is inactive. This field only accepts active prices.")
	}
	return pr, nil
}

// checkAttachable refuses, from 2025-03-31.basil (ic.RefuseLegacyMetered),
// to attach a legacy metered price (metered, without a meter) to a
// subscription or a preview: "You can no longer ... attach existing legacy
// usage-based prices to quotes, upcoming invoices, or subscriptions." Items
// that have one keep billing it.
func checkAttachable(pr *Price, ic ItemChange) error {
	if ic.RefuseLegacyMetered == "" || !pr.Metered() || pr.Recurring.Meter != "" {
		return nil
	}
	param := paramPath(ic.Param, "price")
	if ic.Price.Plan.Set {
		param = paramPath(ic.Param, "plan")
	}
	return apierr.Invalid(param, "The price %s is a metered price without a meter (recurring[meter]): from API version 2025-03-31.basil such prices can no longer be attached to subscriptions or previews. Use a price with a billing meter; this request used %s.", pr.ID, ic.RefuseLegacyMetered)
}

// ItemsOf lists a subscription's items in the order they were added.
func ItemsOf(tx *store.Txn, sub string) ([]*Item, error) {
	recs, err := tx.Find(TableSubscriptionItems, "subscription", sub)
	if err != nil {
		return nil, err
	}
	out := make([]*Item, len(recs))
	for i, r := range recs {
		out[i] = r.(*Item)
	}
	slices.SortFunc(out, func(a, b *Item) int {
		if a.Created != b.Created {
			return int(a.Created - b.Created)
		}
		return int(a.Seq - b.Seq)
	})
	return out, nil
}
