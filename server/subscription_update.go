package server

import (
	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
)

// subChange is the outcome of applying item changes to a subscription: the
// items after and the items removed. A metered price that stops billing is
// retired on the changed subscription (its usage so far still billed with the
// period) where the subscription's billing mode says so.
type subChange struct {
	sub     *billing.Subscription
	before  []*billing.Item
	after   []*billing.Item
	removed []*billing.Item
}

// changeItems applies items[N] changes (id: change or delete; no id: add) to a
// copy of sub. Nothing is stored.
func (c *call) changeItems(sub *billing.Subscription, changes []*form.Params, now int64) (*subChange, error) {
	before, err := c.itemsOf(sub.ID)
	if err != nil {
		return nil, err
	}
	ch := &subChange{sub: sub.Clone(), before: before}
	if len(changes) == 0 {
		ch.after = before
		return ch, nil
	}
	byID := map[string]int{}
	after := make([]*billing.Item, len(before))
	copy(after, before)
	for i, it := range before {
		byID[it.ID] = i
	}
	var additions []*form.Params
	for _, cp := range changes {
		id, hasID := cp.String("id")
		if !hasID {
			if del, _ := cp.Bool("deleted"); del {
				return nil, apierr.ParameterMissing(cp.Path("id"))
			}
			additions = append(additions, cp)
			continue
		}
		i, ok := byID[id]
		if !ok || after[i] == nil {
			return nil, apierr.ResourceMissing("subscription item", cp.Path("id"), id)
		}
		old, err := c.getPrice(after[i].Price, "price")
		if err != nil {
			return nil, err
		}
		if del, _ := cp.Bool("deleted"); del {
			ch.removed = append(ch.removed, after[i])
			if clear, _ := cp.Bool("clear_usage"); old.Metered() && sub.Rules().BillsStoppedUsage(old, clear) {
				ch.retire(after[i], now)
			}
			after[i] = nil
			continue
		}
		n := after[i].Clone()
		pr := old
		if cp.Has("price") || cp.Has("plan") || cp.Has("price_data") {
			if pr, err = c.itemPrice(cp); err != nil {
				return nil, err
			}
			if pr.ID != old.ID {
				if err := c.checkAttachable(pr, cp); err != nil {
					return nil, err
				}
				if old.Metered() && sub.Rules().BillsStoppedUsage(old, false) {
					ch.retire(after[i], now)
				}
				n.PriceSince = now // the new price counts usage from the switch
			}
			n.Price = pr.ID
		}
		if err := setItemQuantity(n, pr, cp); err != nil {
			return nil, err
		}
		if n.Metadata, err = metadata.Apply(n.Metadata, decodeMetadata(cp, "metadata")); err != nil {
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
		pr, err := c.getPrice(it.Price, "price")
		if err != nil {
			return nil, err
		}
		if seen[pr.ID] {
			return nil, apierr.Invalid("items", "Cannot add multiple subscription items with the same plan: %s", pr.ID)
		}
		seen[pr.ID] = true
		if err := ch.sub.AdoptPrice(pr, "items"); err != nil {
			return nil, err
		}
	}
	added, err := c.newItems(ch.sub, additions, kept, now)
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

// retire keeps billing an item's metered price for the period so far.
func (ch *subChange) retire(it *billing.Item, now int64) {
	ch.sub.Retired = append(ch.sub.Retired, billing.RetiredItem{Item: it.ID, Price: it.Price, Since: it.PriceSince, Until: now})
}

// intervalChanged reports whether the change moves the subscription to another
// billing interval (its cycle then restarts).
func (ch *subChange) intervalChanged(old *billing.Subscription) bool {
	return ch.sub.Interval != old.Interval
}

// prorations compares licensed items before and after a change at from, up to
// the end of the subscription's current period: unused time of what stops is
// credited, remaining time of what starts is charged, each at the item's price
// (classic billing mode's credit: the current price, not what was paid).
func (c *call) prorations(ch *subChange, from int64) ([]billing.Proration, error) {
	end := ch.sub.PeriodEnd
	if ch.sub.Status == billing.SubscriptionTrialing || from >= end {
		return nil, nil
	}
	type state struct {
		price string
		qty   int64
	}
	old := map[string]state{}
	for _, it := range ch.before {
		old[it.ID] = state{it.Price, it.Quantity}
	}
	now := map[string]state{}
	for _, it := range ch.after {
		now[it.ID] = state{it.Price, it.Quantity}
	}
	var out []billing.Proration
	line := func(it *billing.Item, st state, credit bool) error {
		pr, err := c.getPrice(st.price, "price")
		if err != nil || pr.Metered() {
			return err
		}
		full := decimal.Zero
		for _, comp := range calc.Rate(pr.Rating(), st.qty) {
			full = full.Add(decimal.NewFromInt(comp.Amount))
		}
		amount := calc.Round(ch.sub.Prorate(full, from, end))
		if credit {
			amount = -amount
		}
		out = append(out, billing.Proration{Item: it, Price: pr, Quantity: st.qty, Amount: amount, Start: from, End: end,
			Description: calc.ProrationText(credit, st.qty, billing.ProductName(c.tx, pr), from)})
		return nil
	}
	for _, it := range ch.before {
		if st, ok := now[it.ID]; !ok || st != old[it.ID] {
			if err := line(it, old[it.ID], true); err != nil {
				return nil, err
			}
		}
	}
	for _, it := range ch.after {
		if st, ok := old[it.ID]; !ok || st != now[it.ID] {
			if err := line(it, now[it.ID], false); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func updateSubscription(c *call) (jsonobj.Obj, error) {
	p := c.params
	cur, err := c.getSubscription(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if !cur.Live() {
		return nil, apierr.InvalidRequest("", "", "A canceled subscription can no longer be updated (%s is %s).", cur.ID, cur.Status)
	}
	now := c.u.CustomerNow(cur.Customer)
	u := subUpdate{items: p.Objects("items"), behavior: p.StringOr("proration_behavior", "create_prorations"), trialEnd: p.Get("trial_end"),
		invoiceItems: p.Objects("add_invoice_items")}
	if d, ok := p.Int("proration_date"); ok {
		u.prorationDate = &d
	}
	u.anchorNow = anchorType(p, "unchanged") == "now"
	u.settings = func(sub *billing.Subscription) error {
		if err := applySubscriptionSettings(sub, p, now); err != nil {
			return err
		}
		if cd := p.Object("cancellation_details"); cd != nil {
			sub.CancelComment = cd.StringOr("comment", sub.CancelComment)
			sub.CancelFeedback = cd.StringOr("feedback", sub.CancelFeedback)
		}
		return nil
	}
	sub, _, _, err := c.changeSubscription(cur, u, now)
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}

// pendProrations stores prorations as pending invoice items: the next invoice
// takes them.
func (c *call) pendProrations(sub *billing.Subscription, ps []billing.Proration) error {
	for _, pr := range ps {
		unit := decimal.Zero
		if pr.Quantity != 0 {
			unit = decimal.NewFromInt(pr.Amount).Div(decimal.NewFromInt(pr.Quantity))
		}
		ii := &billing.InvoiceItem{Meta: c.newMetaAt("ii", pr.Start), Customer: sub.Customer, Amount: pr.Amount, Currency: sub.Currency,
			Description: pr.Description, PeriodStart: pr.Start, PeriodEnd: pr.End, Price: pr.Price.ID, Quantity: pr.Quantity,
			UnitAmount: &unit, Proration: true, Subscription: sub.ID, SubscriptionItem: pr.Item.ID, Discountable: false,
			Metadata: map[string]string{}, TestClock: sub.TestClock}
		if err := c.tx.Put(tInvoiceItems, ii); err != nil {
			return err
		}
	}
	return nil
}

// cancelSubscription ends a subscription now (DELETE /v1/subscriptions/{id}).
func cancelSubscription(c *call) (jsonobj.Obj, error) {
	p := c.params
	cur, err := c.getSubscription(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if !cur.Live() {
		return nil, apierr.InvalidRequest("", "", "No such subscription: '%s'. It is already canceled.", cur.ID)
	}
	now := c.u.CustomerNow(cur.Customer)
	sub := cur.Clone()
	sub.Status, sub.CanceledAt, sub.EndedAt = billing.SubscriptionCanceled, now, now
	sub.CancelReason = "cancellation_requested"
	if cd := p.Object("cancellation_details"); cd != nil {
		sub.CancelComment = cd.StringOr("comment", "")
		sub.CancelFeedback = cd.StringOr("feedback", "")
	}
	invoiceNow := true
	if v, ok := p.Bool("invoice_now"); ok {
		invoiceNow = v
	}
	prorate, _ := p.Bool("prorate")
	if err := c.tx.Put(tSubscriptions, sub); err != nil {
		return nil, err
	}
	if err := afterCancel(c, cur, sub, now, invoiceNow, prorate); err != nil {
		return nil, err
	}
	latest, err := c.getSubscription(sub.ID, "id")
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(latest)
}

// afterCancel makes the final invoice of a subscription canceled with invoice_now.
func afterCancel(c *call, before, sub *billing.Subscription, now int64, invoiceNow, prorate bool) error {
	if !invoiceNow {
		return nil
	}
	inv, err := c.finalInvoice(before, now, prorate)
	if err != nil || inv == nil {
		return err
	}
	n := sub.Clone()
	n.LatestInvoice = inv.ID
	return c.tx.Put(tSubscriptions, n)
}

// anchorType is billing_cycle_anchor[type] (endive's shape; the string an
// older version sends is upgraded to it), or def when absent.
func anchorType(p *form.Params, def string) string {
	return p.Object("billing_cycle_anchor").StringOr("type", def)
}

// resumeSubscription resumes a paused subscription. billing_cycle_anchor=now
// (the default) starts a new period now and bills it at once;
// billing_cycle_anchor=unchanged returns to the period around now on the old
// anchor, with prorations for the rest of it (proration_behavior).
func resumeSubscription(c *call) (jsonobj.Obj, error) {
	p := c.params
	cur, err := c.getSubscription(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if cur.Status != billing.SubscriptionPaused {
		return nil, apierr.InvalidRequest("", "", "Only a paused subscription can be resumed; %s is %s.", cur.ID, cur.Status)
	}
	now := c.u.CustomerNow(cur.Customer)
	items, err := c.itemsOf(cur.ID)
	if err != nil {
		return nil, err
	}
	sub := cur.Clone()
	sub.Status, sub.Retired, sub.UpcomingNoticeFor = billing.SubscriptionActive, nil, 0
	if sub.TrialEnd > now {
		sub.TrialEnd = now
	}
	ch := &subChange{sub: sub, before: items, after: items}
	if anchorType(p, "now") == "now" {
		// Nothing of the paused time is billed: the new period starts now.
		paused := cur.Clone()
		paused.PeriodStart = now
		sub, _, _, err = c.restartCycle(paused, sub, ch, nil, nil, now)
		if err != nil {
			return nil, err
		}
		return c.renderSubscription(sub)
	}
	sub.PeriodStart, sub.PeriodEnd = calc.PeriodContaining(sub.BillingCycleAnchor, sub.Interval, now)
	from := now
	if d, ok := p.Int("proration_date"); ok {
		if d < sub.PeriodStart || d > sub.PeriodEnd {
			return nil, apierr.Invalid("proration_date", "proration_date must be within the period the subscription resumes in (%d to %d).", sub.PeriodStart, sub.PeriodEnd)
		}
		from = d
	}
	behavior := p.StringOr("proration_behavior", "create_prorations")
	var charges []billing.Proration
	if behavior != "none" {
		// The rest of the period is charged: the items, as if added now.
		if charges, err = c.prorations(&subChange{sub: sub, after: items}, from); err != nil {
			return nil, err
		}
	}
	if err := c.tx.Put(tSubscriptions, sub); err != nil {
		return nil, err
	}
	if err := c.pendProrations(sub, charges); err != nil {
		return nil, err
	}
	if behavior == "always_invoice" && len(charges) > 0 {
		if sub, _, err = c.invoiceNow(sub, nil, now); err != nil {
			return nil, err
		}
	}
	return c.renderSubscription(sub)
}
