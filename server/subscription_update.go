package server

import (
	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/server/apierr"
	"github.com/stripe-emulator/stripe-emulator/server/billing"
	"github.com/stripe-emulator/stripe-emulator/server/form"
	"github.com/stripe-emulator/stripe-emulator/server/jsonobj"
)

// subChange is the outcome of applying item changes to a subscription: the
// items after, the items removed, and whether the interval changed (which
// restarts the billing cycle).
type subChange struct {
	sub     *subscription
	before  []*subItem
	after   []*subItem
	removed []*subItem
	cleared map[string]bool // removed metered items whose usage is not billed (clear_usage)
}

// changeItems applies items[N] changes (id: change or delete; no id: add) to a
// copy of sub. Nothing is stored.
func (c *call) changeItems(sub *subscription, changes []*form.Params, now int64) (*subChange, error) {
	before, err := c.itemsOf(sub.ID)
	if err != nil {
		return nil, err
	}
	ch := &subChange{sub: sub.clone(), before: before, cleared: map[string]bool{}}
	if len(changes) == 0 {
		ch.after = before
		return ch, nil
	}
	byID := map[string]int{}
	after := make([]*subItem, len(before))
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
		if del, _ := cp.Bool("deleted"); del {
			ch.removed = append(ch.removed, after[i])
			if clear, _ := cp.Bool("clear_usage"); clear {
				ch.cleared[id] = true
			}
			after[i] = nil
			continue
		}
		n := after[i].clone()
		pr, err := c.getPrice(n.Price, "price")
		if err != nil {
			return nil, err
		}
		if cp.Has("price") || cp.Has("plan") || cp.Has("price_data") {
			if pr, err = c.itemPrice(cp); err != nil {
				return nil, err
			}
			n.Price = pr.ID
		}
		if err := setItemQuantity(n, pr, cp); err != nil {
			return nil, err
		}
		if n.Metadata, err = applyMetadata(n.Metadata, cp, "metadata"); err != nil {
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
	ch.sub.Currency, ch.sub.Interval = "", billing.Interval{}
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
		if err := ch.sub.adoptPrice(pr, "items"); err != nil {
			return nil, err
		}
	}
	added, err := c.newItems(ch.sub, additions, kept, now)
	if err != nil {
		return nil, err
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

// intervalChanged reports whether the change moves the subscription to another
// billing interval (its cycle then restarts).
func (ch *subChange) intervalChanged(old *subscription) bool { return ch.sub.Interval != old.Interval }

// proration is one line of credit or charge for a licensed item changed mid-period.
type proration struct {
	item        *subItem
	price       *price
	quantity    int64
	amount      int64
	start, end  int64
	description string
}

// prorations compares licensed items before and after a change at from, within
// the period [start, end): unused time of what stops is credited, remaining time
// of what starts is charged.
func (c *call) prorations(ch *subChange, start, end, from int64) ([]proration, error) {
	if ch.sub.Status == "trialing" || from >= end {
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
	var out []proration
	line := func(it *subItem, st state, credit bool) error {
		pr, err := c.getPrice(st.price, "price")
		if err != nil || pr.metered() {
			return err
		}
		full := decimal.Zero
		for _, comp := range billing.Rate(pr.rating(), st.qty) {
			full = full.Add(decimal.NewFromInt(comp.Amount))
		}
		amount := billing.Round(billing.Prorate(full, start, end, from))
		if credit {
			amount = -amount
		}
		out = append(out, proration{item: it, price: pr, quantity: st.qty, amount: amount, start: from, end: end,
			description: billing.ProrationText(credit, st.qty, c.productName(pr), from)})
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

// productName is the name of a price's product ("" if it is gone).
func (c *call) productName(pr *price) string {
	if prod, _ := c.tx.Get(tProducts, pr.Product); prod != nil {
		return prod.(*product).Name
	}
	return ""
}

func (s *Server) updateSubscription(c *call) (jsonobj.Obj, error) {
	p := c.params
	cur, err := c.getSubscription(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if !cur.live() {
		return nil, apierr.InvalidRequest("", "", "A canceled subscription can no longer be updated (%s is %s).", cur.ID, cur.Status)
	}
	now := c.customerNow(cur.Customer)
	ch, err := c.changeItems(cur, p.Objects("items"), now)
	if err != nil {
		return nil, err
	}
	sub := ch.sub
	if err := applySubscriptionSettings(sub, p, now); err != nil {
		return nil, err
	}
	if cd := p.Object("cancellation_details"); cd != nil {
		sub.CancelComment = cd.StringOr("comment", sub.CancelComment)
		sub.CancelFeedback = cd.StringOr("feedback", sub.CancelFeedback)
	}
	if a, ok := p.String("billing_cycle_anchor"); ok && a == "now" {
		return nil, apierr.InvalidRequest("", "billing_cycle_anchor", "stripe-emulator does not support billing_cycle_anchor=now on updates yet; the cycle keeps its anchor (unchanged).")
	}
	behavior := p.StringOr("proration_behavior", "create_prorations")
	from := now
	if d, ok := p.Int("proration_date"); ok {
		if d < sub.PeriodStart || d > sub.PeriodEnd {
			return nil, apierr.Invalid("proration_date", "proration_date must be within the subscription's current period (%d to %d).", sub.PeriodStart, sub.PeriodEnd)
		}
		from = d
	}
	if err := c.updateTrial(sub, p, now); err != nil {
		return nil, err
	}
	var prorations []proration
	if len(p.Objects("items")) > 0 && behavior != "none" {
		if prorations, err = c.prorations(ch, sub.PeriodStart, sub.PeriodEnd, from); err != nil {
			return nil, err
		}
	}
	if ch.intervalChanged(cur) {
		// A new interval restarts the cycle now.
		sub.BillingCycleAnchor, sub.PeriodStart = now, now
		sub.PeriodEnd = billing.AddPeriods(now, sub.Interval, 1)
	}
	if err := c.tx.Put(tSubscriptions, sub); err != nil {
		return nil, err
	}
	for _, it := range ch.removed {
		if err := c.tx.Remove(tSubscriptionItems, it); err != nil {
			return nil, err
		}
	}
	for _, it := range ch.after {
		if err := c.tx.Put(tSubscriptionItems, it); err != nil {
			return nil, err
		}
	}
	if err := c.pendProrations(sub, prorations); err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}

// updateTrial applies trial_end on an update: "now" ends the trial at once,
// a timestamp moves its end.
func (c *call) updateTrial(sub *subscription, p *form.Params, now int64) error {
	v := p.Get("trial_end")
	if v == nil {
		return nil
	}
	if v.Kind == form.KString { // now
		if sub.Status == "trialing" {
			sub.Status, sub.TrialEnd = "active", now
			sub.BillingCycleAnchor, sub.PeriodStart = now, now
			sub.PeriodEnd = billing.AddPeriods(now, sub.Interval, 1)
		}
		return nil
	}
	if v.Int <= now {
		return apierr.Invalid("trial_end", "Invalid timestamp: trial_end must be in the future.")
	}
	if sub.Status != "trialing" {
		sub.TrialStart = now
		sub.PeriodStart = now
	}
	sub.Status, sub.TrialEnd = "trialing", v.Int
	sub.BillingCycleAnchor, sub.PeriodEnd = v.Int, v.Int
	return nil
}

// pendProrations stores prorations as pending invoice items: the next invoice
// takes them.
func (c *call) pendProrations(sub *subscription, ps []proration) error {
	for _, pr := range ps {
		unit := decimal.Zero
		if pr.quantity != 0 {
			unit = decimal.NewFromInt(pr.amount).Div(decimal.NewFromInt(pr.quantity))
		}
		ii := &invoiceItem{Meta: c.newMetaAt("ii", pr.start), Customer: sub.Customer, Amount: pr.amount, Currency: sub.Currency,
			Description: pr.description, PeriodStart: pr.start, PeriodEnd: pr.end, Price: pr.price.ID, Quantity: pr.quantity,
			UnitAmount: &unit, Proration: true, Subscription: sub.ID, SubscriptionItem: pr.item.ID, Discountable: false,
			Metadata: map[string]string{}, TestClock: sub.TestClock}
		if err := c.tx.Put(tInvoiceItems, ii); err != nil {
			return err
		}
	}
	return nil
}

// cancelSubscription ends a subscription now (DELETE /v1/subscriptions/{id}).
func (s *Server) cancelSubscription(c *call) (jsonobj.Obj, error) {
	p := c.params
	cur, err := c.getSubscription(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if !cur.live() {
		return nil, apierr.InvalidRequest("", "", "No such subscription: '%s'. It is already canceled.", cur.ID)
	}
	now := c.customerNow(cur.Customer)
	sub := cur.clone()
	sub.Status, sub.CanceledAt, sub.EndedAt = "canceled", now, now
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
	if err := s.afterCancel(c, cur, sub, now, invoiceNow, prorate); err != nil {
		return nil, err
	}
	latest, err := c.getSubscription(sub.ID, "id")
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(latest)
}

// afterCancel makes the final invoice of a subscription canceled with invoice_now.
func (s *Server) afterCancel(c *call, before, sub *subscription, now int64, invoiceNow, prorate bool) error {
	if !invoiceNow {
		return nil
	}
	inv, err := c.finalInvoice(before, now, prorate)
	if err != nil || inv == nil {
		return err
	}
	n := sub.clone()
	n.LatestInvoice = inv.ID
	return c.tx.Put(tSubscriptions, n)
}

// resumeSubscription resumes a paused subscription.
func (s *Server) resumeSubscription(c *call) (jsonobj.Obj, error) {
	cur, err := c.getSubscription(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if cur.Status != "paused" {
		return nil, apierr.InvalidRequest("", "", "Only a paused subscription can be resumed; %s is %s.", cur.ID, cur.Status)
	}
	now := c.customerNow(cur.Customer)
	sub := cur.clone()
	sub.Status = "active"
	if c.params.StringOr("billing_cycle_anchor", "now") == "now" {
		sub.BillingCycleAnchor, sub.PeriodStart = now, now
		sub.PeriodEnd = billing.AddPeriods(now, sub.Interval, 1)
	} else {
		sub.PeriodStart, sub.PeriodEnd = billing.PeriodContaining(sub.BillingCycleAnchor, sub.Interval, now)
	}
	if err := c.tx.Put(tSubscriptions, sub); err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}
