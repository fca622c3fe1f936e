package billing

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
)

// One implementation of a change to a live subscription serves the update
// endpoint, the subscription item endpoints and the invoice previews (which run
// it in a transaction that is never committed), so that a preview shows exactly
// what the change does.
//
// What a change bills, as Stripe does:
//   - items changed within the cycle: prorations for the rest of the period
//     (proration_behavior create_prorations: pending invoice items the next
//     invoice takes; always_invoice: invoiced at once; none: nothing);
//   - a change that restarts the cycle (a price with another interval,
//     billing_cycle_anchor=now, trial_end=now on a trial): an invoice at once
//     (billing_reason subscription_update) with the credit for the unused time
//     of the old items, the metered usage of the period so far, and the
//     licensed items of the new period in advance;
//   - metered prices by the subscription's billing mode (classic: a price that
//     stops mid-period bills nothing of its usage, one that starts counts from
//     then, and one that joins with always_invoice gets a line of 0;
//     flexible: the usage of a price that stops is billed at once, as an
//     invoice item, and a new interval keeps the billing cycle anchor);
//   - add_invoice_items: one-off items on the next invoice the change makes.

// subUpdate is one change to a subscription.
type subUpdate struct {
	items         []ItemChange
	behavior      ProrationBehavior // "": create_prorations
	prorationDate Opt[int64]
	trialEnd      Opt[Moment]
	anchorNow     bool             // billing_cycle_anchor=now
	invoiceItems  []AddInvoiceItem // add_invoice_items
	// payment is payment_behavior: how an invoice the change makes at once
	// is collected ("": allow_incomplete).
	payment PaymentBehavior
	// settings applies the rest of the change to the changed copy.
	settings func(sub *Subscription) error
}

// subChange is the outcome of applying item changes to a subscription: the
// items after and the items removed. A metered price that stops billing is
// retired on the changed subscription (its usage so far still billed with the
// period) where the subscription's billing mode says so.
type subChange struct {
	sub     *Subscription
	before  []*Item
	after   []*Item
	removed []*Item
	// cur is the subscription before the change (nil: sub, unchanged).
	cur *Subscription
	// stopped are the items (as they were) whose metered price stopped
	// billing, whose usage so far the billing mode invoices at once.
	stopped []*Item
}

// old is the subscription before the change.
func (ch *subChange) old() *Subscription {
	if ch.cur != nil {
		return ch.cur
	}
	return ch.sub
}

// UpdateSubscription changes a live subscription: its items, settings, trial
// and cycle, billing the change as Stripe does. It returns the subscription
// as stored.
func UpdateSubscription(u *Unit, in SubscriptionChange) (*Subscription, error) {
	cur, err := GetSubscription(u.tx, in.Subscription, "id")
	if err != nil {
		return nil, err
	}
	if !cur.Live() {
		// Stripe's message, as integrations' error logs quote it [O].
		return nil, apierr.InvalidRequest("", "", "You cannot update a subscription that is `canceled` or `incomplete_expired`.")
	}
	pending := in.PaymentBehavior == PaymentPendingIfIncomplete
	if err := checkPendingAllowed(cur, pending, len(in.Items) > 0 || in.TrialEnd.Given() || in.AnchorNow || len(in.AddInvoiceItems) > 0); err != nil {
		return nil, err
	}
	now := u.CustomerNow(cur.Customer)
	upd := subUpdate{items: in.Items, behavior: in.ProrationBehavior, prorationDate: in.ProrationDate, trialEnd: in.TrialEnd,
		anchorNow: in.AnchorNow, invoiceItems: in.AddInvoiceItems, payment: in.PaymentBehavior}
	upd.settings = func(sub *Subscription) error {
		if err := applySettings(sub, in.Settings, now); err != nil {
			return err
		}
		if err := applyDefaultPaymentMethod(u, sub, in.Settings.DefaultPaymentMethod); err != nil {
			return err
		}
		if cd := in.Cancellation; cd.Given {
			if cd.Comment.Set {
				sub.CancelComment = cd.Comment.V
			}
			if cd.Feedback.Set {
				sub.CancelFeedback = cd.Feedback.V
			}
		}
		return nil
	}
	sub, ch, inv, err := changeIncomplete(u, cur, upd, now)
	if err != nil {
		return nil, err
	}
	if pending {
		return pendIfUnpaid(u, cur, sub, ch, inv, len(in.Items) > 0, now)
	}
	return updateCollected(u, sub, inv, in.PaymentBehavior)
}

// updateCollection is how an update's invoice made at once is collected
// (ref §3b–c): with default_incomplete its PaymentIntent waits for the
// customer; otherwise it is charged, and no card at all is Stripe's 400.
func updateCollection(b PaymentBehavior) collection {
	return collection{requirePaymentMethod: b != PaymentDefaultIncomplete, noAttempt: b == PaymentDefaultIncomplete}
}

// updateCollected finishes an update whose invoice made at once (inv; nil:
// none) was not paid: error_if_incomplete makes it the request's 402 (the
// whole update rolls back [I]); default_incomplete leaves the subscription
// past_due "and await explicit confirmation" of the PaymentIntent (sg79
// PaymentBehavior) [C]; allow_incomplete left it past_due already when the
// charge failed.
func updateCollected(u *Unit, sub *Subscription, inv *Invoice, b PaymentBehavior) (*Subscription, error) {
	if inv == nil || inv.Status != InvoiceOpen || inv.PaymentIntent == "" {
		return sub, nil
	}
	switch b {
	case PaymentErrorIfIncomplete:
		return nil, firstPaymentError(u, inv)
	case PaymentDefaultIncomplete:
		latest, err := GetSubscription(u.tx, sub.ID, "subscription")
		if err != nil || latest.Status != SubscriptionActive {
			return latest, err
		}
		n := latest.Clone()
		n.Status = SubscriptionPastDue
		return n, u.tx.Put(TableSubscriptions, n)
	}
	return sub, nil
}

// ChangeItem runs one item change through the update's path, so that an
// item endpoint behaves exactly as items[0] on the subscription does. It
// returns the item added or changed, or the one removed.
func ChangeItem(u *Unit, in ItemRequest) (*Item, error) {
	subID := in.Subscription.V
	var it *Item       // the item changed or removed
	var before []*Item // the items before one is added
	var err error
	if in.Item.ID.Set {
		if it, err = GetItem(u.tx, in.Item.ID.V, "id"); err != nil {
			return nil, err
		}
		subID = it.Subscription
	} else if before, err = ItemsOf(u.tx, subID); err != nil {
		return nil, err
	}
	sub, err := GetSubscription(u.tx, subID, "subscription")
	if err != nil {
		return nil, err
	}
	if !sub.Live() {
		return nil, apierr.InvalidRequest("", "subscription", "The subscription %s is %s: its items can no longer change.", sub.ID, sub.Status)
	}
	pending := in.PaymentBehavior == PaymentPendingIfIncomplete
	if err := checkPendingAllowed(sub, pending, true); err != nil {
		return nil, err
	}
	now := u.CustomerNow(sub.Customer)
	upd := subUpdate{items: []ItemChange{in.Item}, behavior: in.ProrationBehavior, prorationDate: in.ProrationDate, payment: in.PaymentBehavior}
	changed, ch, inv, err := changeIncomplete(u, sub, upd, now)
	if err != nil {
		return nil, err
	}
	if pending {
		_, err = pendIfUnpaid(u, sub, changed, ch, inv, true, now)
	} else {
		_, err = updateCollected(u, changed, inv, in.PaymentBehavior)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case it == nil: // the item added
		known := map[string]bool{}
		for _, b := range before {
			known[b.ID] = true
		}
		for _, n := range ch.after {
			if !known[n.ID] {
				return n, nil
			}
		}
	case in.Item.Deleted:
		return it, nil
	default:
		for _, n := range ch.after {
			if n.ID == it.ID {
				return n, nil
			}
		}
	}
	return nil, apierr.Internal()
}

// changeIncomplete is changeSubscription for the update and the item
// endpoints, which refuse a change of an incomplete subscription that bills:
// such a subscription "can only have metadata and default_source updated"
// (sg79's status doc) [C], and Stripe's refusal names the rule, an update
// "that results in a new invoice or invoice items" [O] (its message, quoted
// by an integration's notes). So a change that makes an invoice at once or
// adds pending invoice items (prorations, add_invoice_items) is a 400, and
// nothing of it is stored (the request's transaction is discarded); one
// that bills nothing (metadata, default_payment_method, description,
// cancel_at_period_end, payment_settings…) applies [I]. So is a trial
// (trial_end), even without prorations: it would make the subscription
// trialing with its first invoice unpaid, past the 23 hours in which that
// invoice must be paid or the subscription expire [I].
func changeIncomplete(u *Unit, cur *Subscription, upd subUpdate, now int64) (*Subscription, *subChange, *Invoice, error) {
	if cur.Status != SubscriptionIncomplete {
		return changeSubscription(u, cur, upd, now)
	}
	before, err := u.tx.Find(TableInvoiceItems, "pending", cur.Customer)
	if err != nil {
		return nil, nil, nil, err
	}
	upd.payment = PaymentDefaultIncomplete // an invoice is refused anyway: not charged, nor refused for want of a card first
	sub, ch, inv, err := changeSubscription(u, cur, upd, now)
	if err != nil {
		return nil, nil, nil, err
	}
	after, err := u.tx.Find(TableInvoiceItems, "pending", cur.Customer)
	if err != nil {
		return nil, nil, nil, err
	}
	if inv != nil || len(after) > len(before) || sub.Status != SubscriptionIncomplete {
		return nil, nil, nil, apierr.InvalidRequest("", "", "You cannot update a subscription in `incomplete` status in a way that results in a new invoice or invoice items. "+
			"Only minor attributes, like `metadata` or `default_payment_method`, can be updated on such subscriptions.")
	}
	return sub, ch, inv, nil
}

// changeSubscription applies a change to a live subscription and stores the
// result: the subscription, its items, pending prorations, and the invoice the
// change bills at once (nil if none).
func changeSubscription(u *Unit, cur *Subscription, upd subUpdate, now int64) (*Subscription, *subChange, *Invoice, error) {
	ch, err := changeItems(u, cur, upd.items, now)
	if err != nil {
		return nil, nil, nil, err
	}
	sub := ch.sub
	if upd.settings != nil {
		if err := upd.settings(sub); err != nil {
			return nil, nil, nil, err
		}
	}
	behavior := upd.behavior
	if behavior == "" {
		behavior = ProrationCreate
	}
	from := now
	if upd.prorationDate.Set {
		if d := upd.prorationDate.V; d < cur.PeriodStart || d > cur.PeriodEnd {
			return nil, nil, nil, apierr.Invalid("proration_date", "proration_date must be within the subscription's current period (%d to %d).", cur.PeriodStart, cur.PeriodEnd)
		}
		from = upd.prorationDate.V
	}
	trialEndsNow := false
	if v := upd.trialEnd; v.Given() {
		if v.Set && v.V.Now {
			trialEndsNow = cur.Status == SubscriptionTrialing
		} else {
			if err := checkTrialEnd("trial_end", v.V.At, now); err != nil {
				return nil, nil, nil, err
			}
			sub.startTrial(now, v.V.At)
		}
	}
	sub.capTrialAtCancel()
	paid := cur.Status != SubscriptionTrialing // the current period's licensed items were charged
	var prorations []proration
	var inv *Invoice
	// A new interval during a trial keeps the trial; the first paid period
	// follows it.
	resets := sub.rules().ResetsAnchorOnIntervalChange()
	if trialEndsNow || upd.anchorNow || ch.intervalChanged(cur) && paid && resets {
		if paid && behavior != ProrationNone {
			if prorations, err = unusedTime(u, cur, ch.before, from); err != nil {
				return nil, nil, nil, err
			}
		}
		held, err := heldOnReset(u, cur, behavior)
		if err != nil {
			return nil, nil, nil, err
		}
		return restartCycle(u, cur, sub, ch, prorations, upd.invoiceItems, held, now, updateCollection(upd.payment))
	}
	if ch.intervalChanged(cur) && paid && !resets {
		keepAnchor(sub, now)
	}
	inCycle := paid && sub.Status != SubscriptionTrialing // the period goes on, paid for
	if len(upd.items) > 0 && inCycle && behavior != ProrationNone {
		if prorations, err = prorateChange(u, ch, from); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := storeChange(u, sub, ch); err != nil {
		return nil, nil, nil, err
	}
	if err := pendProrations(u, sub, prorations); err != nil {
		return nil, nil, nil, err
	}
	added, err := addInvoiceItems(u, sub, upd.invoiceItems, now)
	if err != nil {
		return nil, nil, nil, err
	}
	if behavior != ProrationNone {
		n, err := invoiceStoppedUsage(u, cur, ch.stopped, now)
		if err != nil {
			return nil, nil, nil, err
		}
		added += n
	}
	if behavior != ProrationAlwaysInvoice {
		return sub, ch, nil, nil
	}
	var joined []Line
	if inCycle && sub.rules().ZeroLineForAddedUsage() {
		if joined, err = joinedUsageLines(u, ch, now); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(prorations) > 0 || len(joined) > 0 || added > 0 {
		if sub, inv, err = invoiceNow(u, sub, joined, now, updateCollection(upd.payment)); err != nil {
			return nil, nil, nil, err
		}
	}
	return sub, ch, inv, nil
}

// changeItems applies item changes (an ID: change or delete; no ID: add) to a
// copy of sub. Nothing is stored.
func changeItems(u *Unit, sub *Subscription, changes []ItemChange, now int64) (*subChange, error) {
	before, err := ItemsOf(u.tx, sub.ID)
	if err != nil {
		return nil, err
	}
	ch := &subChange{sub: sub.Clone(), before: before, cur: sub}
	if len(changes) == 0 {
		ch.after = before
		return ch, nil
	}
	byID := map[string]int{}
	after := make([]*Item, len(before))
	copy(after, before)
	for i, it := range before {
		byID[it.ID] = i
	}
	var additions []ItemChange
	for _, ic := range changes {
		if !ic.ID.Set {
			if ic.Deleted {
				return nil, apierr.ParameterMissing(paramPath(ic.Param, "id"))
			}
			additions = append(additions, ic)
			continue
		}
		id := ic.ID.V
		i, ok := byID[id]
		if !ok || after[i] == nil {
			return nil, apierr.ResourceMissing("subscription item", paramPath(ic.Param, "id"), id)
		}
		old, err := GetPrice(u.tx, after[i].Price, "price")
		if err != nil {
			return nil, err
		}
		if ic.Deleted {
			ch.removed = append(ch.removed, after[i])
			if old.Metered() {
				ch.stop(after[i], old, ic.ClearUsage, now)
			}
			after[i] = nil
			continue
		}
		n := after[i].Clone()
		pr := old
		if ic.Price.given() {
			if pr, err = itemPrice(u, ic); err != nil {
				return nil, err
			}
			if pr.ID != old.ID {
				if err := checkAttachable(pr, ic); err != nil {
					return nil, err
				}
				if old.Metered() {
					ch.stop(after[i], old, false, now)
				}
				n.PriceSince = now // the new price counts usage from the switch
			}
			n.Price = pr.ID
		}
		if err := setItemQuantity(n, pr, ic); err != nil {
			return nil, err
		}
		if n.Metadata, err = metadata.Apply(n.Metadata, ic.Metadata); err != nil {
			return nil, err
		}
		after[i] = n
	}
	kept := after[:0]
	for _, it := range after {
		if it != nil {
			kept = append(kept, it)
		}
	}
	// Every price must share a currency and an interval: check the final set.
	ch.sub.Currency, ch.sub.Interval = "", calc.Interval{}
	seen := map[string]bool{}
	for _, it := range kept {
		pr, err := GetPrice(u.tx, it.Price, "price")
		if err != nil {
			return nil, err
		}
		if seen[pr.ID] {
			return nil, apierr.Invalid("items", "Cannot add multiple subscription items with the same plan: %s", pr.ID)
		}
		seen[pr.ID] = true
		if err := ch.sub.adoptPrice(pr, "items"); err != nil {
			return nil, err
		}
	}
	added, err := newItems(u, ch.sub, additions, kept, now)
	if err != nil {
		return nil, err
	}
	for _, it := range added {
		it.PriceSince = now // an item added mid-period counts usage from now
	}
	ch.after = append(kept, added...)
	if len(ch.after) == 0 {
		return nil, apierr.Invalid("items", "A subscription must have at least one active plan. To cancel a subscription, please use the cancel API endpoint on /v1/subscriptions.")
	}
	if ch.sub.Currency != sub.Currency {
		return nil, apierr.Invalid("items", "You cannot change the currency of a subscription (%s) through its items.", sub.Currency)
	}
	return ch, nil
}

// stop is an item's metered price pr stopping at now (the item deleted, or
// moved to another price): by the billing mode, its usage so far is billed
// with the period (retired) or at once (stopped), or not at all.
func (ch *subChange) stop(it *Item, pr *Price, clearUsage bool, now int64) {
	rules := ch.sub.rules()
	if rules.BillsStoppedUsage(pr, clearUsage) {
		ch.sub.Retired = append(ch.sub.Retired, RetiredItem{Item: it.ID, Price: it.Price, Since: it.PriceSince, Until: now})
	}
	if rules.InvoicesStoppedUsage(clearUsage) {
		ch.stopped = append(ch.stopped, it)
	}
}

// invoiceStoppedUsage bills the usage so far of metered prices that stopped
// at now on sub (as it was before the change) as pending invoice items, one
// a rated line; usage of 0 makes none [I]. It returns how many it made.
func invoiceStoppedUsage(u *Unit, sub *Subscription, stopped []*Item, now int64) (int, error) {
	n := 0
	for _, it := range stopped {
		pr, err := GetPrice(u.tx, it.Price, "price")
		if err != nil {
			return 0, err
		}
		qty, err := meteredQuantity(u, sub, it, pr, sub.PeriodStart, now)
		if err != nil {
			return 0, err
		}
		if qty == 0 {
			continue
		}
		for _, l := range rateLines(u.tx, sub, it, pr, qty, max(sub.PeriodStart, it.PriceSince), now) {
			ii := &InvoiceItem{Meta: u.ids.NewMeta("ii", now), Customer: sub.Customer, Amount: l.Amount, Currency: l.Currency,
				Description: l.Description, PeriodStart: l.PeriodStart, PeriodEnd: l.PeriodEnd, Price: pr.ID, Quantity: l.Quantity,
				UnitAmount: l.UnitAmount, Subscription: sub.ID, SubscriptionItem: it.ID, Discountable: true,
				Metadata: map[string]string{}, TestClock: sub.TestClock}
			if err := u.tx.Put(TableInvoiceItems, ii); err != nil {
				return 0, err
			}
			n++
		}
	}
	return n, nil
}

// keepAnchor moves a subscription whose items changed interval to the
// period of the new interval around now on the same billing cycle anchor,
// from the current period's start (its usage so far is still to be billed):
// a billing mode that never resets the anchor.
func keepAnchor(sub *Subscription, now int64) {
	_, sub.PeriodEnd = calc.PeriodContaining(sub.BillingCycleAnchor, sub.Interval, now)
	sub.UpcomingNoticeFor = 0
}

// intervalChanged reports whether the change moves the subscription to another
// billing interval (its cycle then restarts).
func (ch *subChange) intervalChanged(old *Subscription) bool {
	return ch.sub.Interval != old.Interval
}

// joinedUsageLines are lines of 0 for the metered prices a change adds to the
// subscription (a new item, or an item moved to the price), for the rest of
// the period: classic billing mode puts them on the invoice an always_invoice
// change makes.
func joinedUsageLines(u *Unit, ch *subChange, now int64) ([]Line, error) {
	had := map[string]string{}
	for _, it := range ch.before {
		had[it.ID] = it.Price
	}
	var out []Line
	for _, it := range ch.after {
		if had[it.ID] == it.Price {
			continue
		}
		pr, err := GetPrice(u.tx, it.Price, "price")
		if err != nil {
			return nil, err
		}
		if pr.Metered() {
			out = append(out, rateLines(u.tx, ch.sub, it, pr, 0, now, ch.sub.PeriodEnd)...)
		}
	}
	return out, nil
}

// storeChange stores a changed subscription and its items.
func storeChange(u *Unit, sub *Subscription, ch *subChange) error {
	if err := u.tx.Put(TableSubscriptions, sub); err != nil {
		return err
	}
	for _, it := range ch.removed {
		if err := u.tx.Remove(TableSubscriptionItems, it); err != nil {
			return err
		}
	}
	for _, it := range ch.after {
		if err := u.tx.Put(TableSubscriptionItems, it); err != nil {
			return err
		}
	}
	return nil
}

// restartCycle starts a new billing period at now and bills it at once: the
// credits given, the one-off items of add_invoice_items, the usage of the old
// period so far, and the new period's licensed items in advance.
func restartCycle(u *Unit, cur, sub *Subscription, ch *subChange, credits []proration, invoiceItems []AddInvoiceItem, held map[string]bool, now int64, how collection) (*Subscription, *subChange, *Invoice, error) {
	usage, err := periodLines(u, cur, ch.before, cur.PeriodStart, now, false)
	if err != nil {
		return nil, nil, nil, err
	}
	if cur.Status == SubscriptionTrialing { // the trial ends now
		sub.Status, sub.TrialEnd = SubscriptionActive, now
	}
	sub.BillingCycleAnchor, sub.PeriodStart, sub.Retired, sub.StubFreeUntil = now, now, nil, 0
	sub.PeriodEnd = calc.AddPeriods(now, sub.Interval, 1)
	sub.UpcomingNoticeFor = 0
	for i := range ch.after {
		if ch.after[i].PriceSince != 0 {
			n := ch.after[i].Clone()
			n.PriceSince = 0
			ch.after[i] = n
		}
	}
	if err := storeChange(u, sub, ch); err != nil {
		return nil, nil, nil, err
	}
	if err := pendProrations(u, sub, credits); err != nil {
		return nil, nil, nil, err
	}
	if _, err := addInvoiceItems(u, sub, invoiceItems, now); err != nil {
		return nil, nil, nil, err
	}
	var lines []Line
	for _, it := range ch.after {
		pr, err := GetPrice(u.tx, it.Price, "price")
		if err != nil {
			return nil, nil, nil, err
		}
		if !pr.Metered() {
			lines = append(lines, advanceLines(u.tx, sub, it, pr, sub.PeriodStart, sub.PeriodEnd)...)
		}
	}
	sub, inv, err := invoiceNowHolding(u, sub, append(lines, usage...), now, how, held)
	return sub, ch, inv, err
}

// heldOnReset are the invoice items pending for a subscription that the
// invoice of a change restarting its cycle with proration_behavior behavior
// leaves pending, by ID (nil: none), as its billing mode says.
func heldOnReset(u *Unit, sub *Subscription, behavior ProrationBehavior) (map[string]bool, error) {
	if sub.rules().InvoicesPendingOnReset(behavior) {
		return nil, nil
	}
	pending, err := PendingItems(u.tx, sub.Customer)
	if err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, ii := range keepItemsFor(pending, sub.ID) {
		held[ii.ID] = true
	}
	return held, nil
}

// invoiceNow bills a subscription at once (billing_reason subscription_update):
// its pending invoice items and the lines given, finalized and collected now.
// The subscription's latest_invoice becomes that invoice: it is returned, as stored.
func invoiceNow(u *Unit, sub *Subscription, lines []Line, now int64, how collection) (*Subscription, *Invoice, error) {
	return invoiceNowHolding(u, sub, lines, now, how, nil)
}

// invoiceNowHolding is invoiceNow, leaving pending the invoice items held.
func invoiceNowHolding(u *Unit, sub *Subscription, lines []Line, now int64, how collection, held map[string]bool) (*Subscription, *Invoice, error) {
	inv, err := newInvoiceHolding(u, sub, "subscription_update", now, now, now, lines, 0, held)
	if err != nil {
		return nil, nil, err
	}
	if inv, err = finalize(u, inv, now, how); err != nil {
		return nil, nil, err
	}
	latest, err := GetSubscription(u.tx, sub.ID, "subscription")
	if err != nil {
		return nil, nil, err
	}
	n := latest.Clone()
	n.LatestInvoice = inv.ID
	return n, inv, u.tx.Put(TableSubscriptions, n)
}
