package server

import (
	"net/url"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// previewParams are what the preview endpoints take (GET upcoming takes the
// legacy flat subscription_* forms too).
var previewParams = []string{"automatic_tax", "currency", "customer", "invoice_items", "preview_mode", "subscription", "subscription_details"}

var legacyPreviewParams = []string{"subscription_items", "subscription_proration_behavior", "subscription_proration_date",
	"subscription_cancel_at_period_end", "subscription_cancel_now", "subscription_cancel_at", "subscription_trial_end", "subscription_billing_cycle_anchor"}

var previewRejects = []string{"automatic_tax.liability", "invoice_items.discounts", "invoice_items.tax_rates", "invoice_items.tax_behavior",
	"invoice_items.tax_code", "invoice_items.invoiceitem", "invoice_items.price_data", "subscription_details.default_tax_rates",
	"subscription_details.resume_at", "subscription_details.start_date", "subscription_details.items.billing_thresholds",
	"subscription_details.items.discounts", "subscription_details.items.tax_rates"}

var legacyPreviewRejects = append([]string{"subscription_items.billing_thresholds", "subscription_items.discounts", "subscription_items.tax_rates"}, previewRejects...)

func invoicePreviewEndpoints() []endpoint {
	upcoming := append(append([]string{}, previewParams...), legacyPreviewParams...)
	// Previews run in a write transaction that is never committed: price_data in a
	// previewed change may create a price, which the preview needs but must not keep.
	return []endpoint{
		{route: "GET /v1/invoices/upcoming", op: "GetInvoicesUpcoming", mode: txWrite, dryRun: true, h: upcomingInvoice, accepts: upcoming, rejects: legacyPreviewRejects},
		{route: "GET /v1/invoices/upcoming/lines", op: "GetInvoicesUpcomingLines", mode: txWrite, dryRun: true, h: upcomingInvoiceLines,
			accepts: append([]string{"limit", "starting_after", "ending_before"}, upcoming...), rejects: legacyPreviewRejects},
		{route: "POST /v1/invoices/create_preview", op: "PostInvoicesCreatePreview", mode: txWrite, dryRun: true, h: createInvoicePreview, accepts: previewParams, rejects: previewRejects,
			newer: []string{"subscription_details.billing_cycle_anchor", "subscription_details.billing_mode"}},
	}
}

// upcomingInvoice answers GET /v1/invoices/upcoming: an invoice without an id
// (the key is absent: "always present unless the invoice is an upcoming invoice").
func upcomingInvoice(c *call) (jsonobj.Obj, error) {
	inv, err := c.buildPreview()
	if err != nil {
		return nil, err
	}
	inv.ID = ""
	return c.renderInvoice(inv)
}

// createInvoicePreview answers POST /v1/invoices/create_preview: the same
// invoice, with the upcoming_in_ id Stripe's create_preview gives it. From
// 2025-03-31.basil it previews a subscription, a schedule or invoice items,
// no longer "the next upcoming invoice from among the customer's
// subscriptions".
func createInvoicePreview(c *call) (jsonobj.Obj, error) {
	if c.v.Has(apiversion.GatePreviewNeedsTarget) && !previewHasTarget(c.params) {
		return nil, apierr.InvalidRequest("", "", "You must provide at least one of: `subscription`, `schedule`, `subscription_details.items`, `schedule_details.phases`, `invoice_items`.")
	}
	inv, err := c.buildPreview()
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// previewHasTarget reports whether a preview names what it previews beside
// the customer.
func previewHasTarget(p *form.Params) bool {
	return p.Has("subscription") || p.Has("schedule") || p.Object("subscription_details").Has("items") ||
		p.Object("schedule_details").Has("phases") || p.Has("invoice_items")
}

func upcomingInvoiceLines(c *call) (jsonobj.Obj, error) {
	inv, err := c.buildPreview()
	if err != nil {
		return nil, err
	}
	return c.pageLines(inv)
}

// pageLines answers one page of an invoice's lines (limit, starting_after,
// ending_before), in the invoice's order.
func (c *call) pageLines(inv *billing.Invoice) (jsonobj.Obj, error) {
	p := c.params
	pg, err := readPage(p)
	if err != nil {
		return nil, err
	}
	first, last, more, err := pg.window(len(inv.Lines), func(id, param string) (int, error) {
		for i := range inv.Lines {
			if inv.Lines[i].ID == id {
				return i, nil
			}
		}
		return 0, apierr.ResourceMissing("line item", param, id)
	})
	if err != nil {
		return nil, err
	}
	data := make([]jsonobj.Obj, 0, last-first)
	for i := first; i < last; i++ {
		l, err := c.renderLine(inv, &inv.Lines[i])
		if err != nil {
			return nil, err
		}
		data = append(data, l)
	}
	return jsonobj.Obj{
		{K: "object", V: "list"},
		{K: "data", V: data},
		{K: "has_more", V: more},
		{K: "url", V: inv.LinesURL},
	}, nil
}

// previewChange is a previewed change to a subscription, from subscription_details
// or the legacy flat subscription_* parameters.
type previewChange struct {
	items             []*form.Params
	hasItems          bool
	prorationBehavior string
	prorationDate     *int64
	cancelAtPeriodEnd *bool
	cancelNow         bool
	cancelAt          *int64
	clearCancelAt     bool
	trialEnd          *form.Value
	anchorNow         bool
}

func readPreviewChange(p *form.Params) (previewChange, error) {
	ch := previewChange{prorationBehavior: "create_prorations"}
	d := p.Object("subscription_details")
	get := func(detail, flat string) *form.Value {
		if d != nil && d.Has(detail) {
			return d.Get(detail)
		}
		return p.Get(flat)
	}
	if d != nil && d.Has("items") {
		ch.items, ch.hasItems = d.Objects("items"), true
	} else if p.Has("subscription_items") {
		ch.items, ch.hasItems = p.Objects("subscription_items"), true
	}
	if v := get("proration_behavior", "subscription_proration_behavior"); v != nil {
		ch.prorationBehavior = v.Str
	}
	if v := get("proration_date", "subscription_proration_date"); v != nil && v.Kind == form.KInt {
		ch.prorationDate = &v.Int
	}
	if v := get("cancel_at_period_end", "subscription_cancel_at_period_end"); v != nil && v.Kind == form.KBool {
		ch.cancelAtPeriodEnd = &v.Bool
	}
	if v := get("cancel_now", "subscription_cancel_now"); v != nil && v.Kind == form.KBool {
		ch.cancelNow = v.Bool
	}
	if v := get("cancel_at", "subscription_cancel_at"); v != nil {
		if v.Kind == form.KEmpty {
			ch.clearCancelAt = true
		} else if v.Kind == form.KInt {
			ch.cancelAt = &v.Int
		}
	}
	if v := get("trial_end", "subscription_trial_end"); v != nil {
		ch.trialEnd = v
	}
	// subscription_details[billing_cycle_anchor] is endive's object (an older
	// version's value is upgraded to it); upcoming's flat
	// subscription_billing_cycle_anchor keeps its own shape.
	if v := get("billing_cycle_anchor", "subscription_billing_cycle_anchor"); v != nil {
		typ := v.Str
		if v.Kind == form.KObject {
			typ = v.Obj.StringOr("type", "")
		}
		if v.Kind == form.KInt || typ == "timestamp" {
			return ch, apierr.InvalidRequest("", v.Param, "stripe-emulator does not support a timestamp for %s in previews yet; use now or unchanged, or create the subscription with its billing_cycle_anchor and preview its upcoming invoice.", v.Param)
		}
		ch.anchorNow = typ == "now"
	}
	return ch, nil
}

// buildPreview computes the invoice the preview parameters describe. Nothing it
// does is committed (the endpoints run dry).
func (c *call) buildPreview() (*billing.Invoice, error) {
	p := c.params
	customerID, hasCustomer := p.String("customer")
	subID, hasSub := p.String("subscription")
	if !hasCustomer && !hasSub {
		return nil, apierr.ParameterMissing("customer")
	}
	var sub *billing.Subscription
	if hasSub {
		s, err := c.getSubscription(subID, "subscription")
		if err != nil {
			return nil, err
		}
		if hasCustomer && s.Customer != customerID {
			return nil, apierr.Invalid("subscription", "The subscription %s does not belong to the customer %s.", s.ID, customerID)
		}
		customerID, sub = s.Customer, s
	}
	cu, err := c.getCustomer(customerID, "customer", false)
	if err != nil {
		return nil, err
	}
	change, err := readPreviewChange(p)
	if err != nil {
		return nil, err
	}
	// billing_mode is checked, and changes nothing yet: the preview bills by
	// classic's rules, as every subscription does (see readBillingMode).
	if _, err := readBillingMode(p.Object("subscription_details").Object("billing_mode"), c.v); err != nil {
		return nil, err
	}
	if sub == nil {
		if sub, err = c.nextSubscription(cu.ID); err != nil {
			return nil, err
		}
	}
	now := c.u.CustomerNow(cu.ID)
	recurringOnly := p.StringOr("preview_mode", "next") == "recurring"
	inv := &billing.Invoice{Meta: store.Meta{ID: "upcoming_in_" + store.RandomString(24), Created: now}, Preview: true,
		Customer: cu.ID, Status: billing.InvoiceDraft, BillingReason: "upcoming", CollectionMethod: "charge_automatically",
		Currency: cu.Currency, StartingBalance: cu.Balance, PeriodStart: now, PeriodEnd: now, TestClock: cu.TestClock,
		Metadata: map[string]string{}}
	billing.SnapshotCustomer(inv, cu)
	q := url.Values{"customer": {cu.ID}}
	switch {
	case sub != nil && sub.Live():
		if err := c.previewSubscription(inv, sub, change, now, recurringOnly); err != nil {
			return nil, err
		}
		q.Set("subscription", sub.ID)
	case change.hasItems:
		if err := c.previewNewSubscription(inv, cu, change, now); err != nil {
			return nil, err
		}
	}
	if !recurringOnly {
		pending, err := billing.PendingItems(c.tx, cu.ID)
		if err != nil {
			return nil, err
		}
		if sub != nil {
			pending = billing.KeepItemsFor(pending, sub.ID)
		}
		extra, err := c.previewInvoiceItems(inv, p.Objects("invoice_items"))
		if err != nil {
			return nil, err
		}
		inv.Lines = append(append(append([]billing.Line{}, billing.ItemLines(pending)...), extra...), inv.Lines...)
	}
	if len(inv.Lines) == 0 && (sub == nil || !sub.Live()) {
		return nil, &apierr.Error{Status: 404, Type: apierr.TypeInvalidRequest, Code: "invoice_upcoming_none",
			Message: "No upcoming invoices for customer: " + cu.ID}
	}
	if cur, ok := p.String("currency"); ok && inv.Currency != "" && cur != inv.Currency {
		return nil, apierr.Invalid("currency", "The currency %s does not match the currency of the customer's upcoming invoice (%s).", cur, inv.Currency)
	}
	if inv.CollectionMethod == "charge_automatically" {
		inv.NextPaymentAttempt = inv.Created + 3600
	}
	inv.LinesURL = "/v1/invoices/upcoming/lines?" + q.Encode()
	return inv, nil
}

// nextSubscription is the customer's live subscription that renews first.
func (c *call) nextSubscription(customerID string) (*billing.Subscription, error) {
	recs, err := c.tx.Find(tSubscriptions, "customer", customerID)
	if err != nil {
		return nil, err
	}
	var best *billing.Subscription
	for _, r := range recs {
		s := r.(*billing.Subscription)
		if s.Live() && s.Status != billing.SubscriptionPaused && (best == nil || s.PeriodEnd < best.PeriodEnd || s.PeriodEnd == best.PeriodEnd && s.Seq < best.Seq) {
			best = s
		}
	}
	return best, nil
}

// empty reports whether a preview asks for no change to the subscription.
func (ch previewChange) empty() bool {
	return !ch.hasItems && ch.cancelAtPeriodEnd == nil && !ch.clearCancelAt && ch.cancelAt == nil && ch.trialEnd == nil && !ch.anchorNow
}

// previewSubscription fills a preview of an existing subscription's next
// invoice, with a change applied if one is given. A change runs through the
// same code as the real update, inside the preview's transaction (never
// committed): if it bills at once, the preview is that invoice; otherwise it is
// the changed subscription's next renewal, with the prorations it left pending.
func (c *call) previewSubscription(inv *billing.Invoice, sub *billing.Subscription, change previewChange, now int64, recurringOnly bool) error {
	inv.Subscription, inv.Currency, inv.CollectionMethod = sub.ID, sub.Currency, sub.CollectionMethod
	inv.SubscriptionMetadata = sub.Metadata
	if change.cancelNow {
		// The final invoice of a subscription canceled now: usage so far.
		items, err := c.itemsOf(sub.ID)
		if err != nil {
			return err
		}
		inv.BillingReason, inv.PeriodStart, inv.PeriodEnd, inv.Created = "subscription_cycle", sub.PeriodStart, now, now
		lines, err := billing.PeriodLines(&c.u, sub, items, sub.PeriodStart, now, false)
		if err != nil {
			return err
		}
		inv.Lines = lines
		return nil
	}
	next := sub
	if !change.empty() {
		behavior := change.prorationBehavior
		if recurringOnly {
			behavior = "none"
		}
		u := subUpdate{items: change.items, behavior: behavior, prorationDate: change.prorationDate, trialEnd: change.trialEnd, anchorNow: change.anchorNow,
			settings: func(n *billing.Subscription) error {
				if change.cancelAtPeriodEnd != nil {
					n.CancelAtPeriodEnd = *change.cancelAtPeriodEnd
				}
				if change.clearCancelAt {
					n.CancelAt = 0
				}
				if change.cancelAt != nil {
					n.CancelAt = *change.cancelAt
				}
				return nil
			}}
		changed, _, billed, err := c.changeSubscription(sub, u, now)
		if err != nil {
			return err
		}
		if billed != nil {
			inv.BillingReason, inv.PeriodStart, inv.PeriodEnd, inv.Created = billed.BillingReason, billed.PeriodStart, billed.PeriodEnd, billed.Created
			inv.Lines, inv.DueDate = billed.Lines, billed.DueDate
			return nil
		}
		next = changed
	}
	items, err := c.itemsOf(next.ID)
	if err != nil {
		return err
	}
	ends := next.EndsAtPeriodEnd()
	end := next.PeriodEnd
	if next.CancelAt != 0 && next.CancelAt < end {
		end = next.CancelAt
	}
	lines, err := billing.PeriodLines(&c.u, next, items, next.PeriodStart, end, !ends)
	if err != nil {
		return err
	}
	inv.PeriodStart, inv.PeriodEnd, inv.Created = next.PeriodStart, end, end
	inv.Lines = lines
	if next.CollectionMethod == "send_invoice" && next.DaysUntilDue != nil {
		inv.DueDate = inv.Created + *next.DaysUntilDue*86400
	}
	return nil
}

// previewNewSubscription previews the first invoice of a subscription that does
// not exist yet (customer + subscription items, no subscription).
func (c *call) previewNewSubscription(inv *billing.Invoice, cu *billing.Customer, change previewChange, now int64) error {
	sub := &billing.Subscription{Meta: store.Meta{ID: "", Created: now}, Customer: cu.ID, Status: billing.SubscriptionActive, CollectionMethod: "charge_automatically"}
	items, err := c.newItems(sub, change.items, nil, now)
	if err != nil {
		return err
	}
	end := calc.AddPeriods(now, sub.Interval, 1)
	var lines []billing.Line
	for _, it := range items {
		pr, err := c.getPrice(it.Price, "price")
		if err != nil {
			return err
		}
		qty := it.Quantity
		if pr.Metered() {
			qty = 0 // no usage yet
		}
		lines = append(lines, billing.RateLines(c.tx, sub, it, pr, qty, now, end)...)
	}
	inv.BillingReason, inv.Currency, inv.Lines = "subscription_create", sub.Currency, lines
	return nil
}

// previewInvoiceItems turns invoice_items[N] of a preview into lines.
func (c *call) previewInvoiceItems(inv *billing.Invoice, items []*form.Params) ([]billing.Line, error) {
	var out []billing.Line
	for i, ip := range items {
		l := billing.Line{ID: billing.LineID(inv.ID, "invoice_items", strconv.Itoa(i)), Type: "invoiceitem", Quantity: 1, Discountable: true,
			PeriodStart: inv.Created, PeriodEnd: inv.Created, Metadata: map[string]string{}}
		l.Currency = ip.StringOr("currency", inv.Currency)
		l.Description, _ = ip.String("description")
		if q, ok := ip.Int("quantity"); ok {
			l.Quantity = q
		}
		if per := ip.Object("period"); per != nil {
			l.PeriodStart, _ = per.Int("start")
			l.PeriodEnd, _ = per.Int("end")
		}
		if d, ok := ip.Bool("discountable"); ok {
			l.Discountable = d
		}
		md, err := metadata.Apply(nil, decodeMetadata(ip, "metadata"))
		if err != nil {
			return nil, err
		}
		if md != nil {
			l.Metadata = md
		}
		unit, err := amountParam(ip, "unit_amount")
		if err != nil {
			return nil, err
		}
		amount, hasAmount := ip.Int("amount")
		if err := billing.CheckAmount(ip.Path("amount"), amount); hasAmount && err != nil {
			return nil, err
		}
		priceID, hasPrice := ip.String("price")
		switch {
		case hasPrice:
			pr, err := c.getPrice(priceID, ip.Path("price"))
			if err != nil {
				return nil, err
			}
			l.Price, l.Currency = pr.ID, pr.Currency
			l.Amount = pr.AmountFor(l.Quantity)
			if l.Description == "" {
				l.Description = billing.ProductName(c.tx, pr)
			}
		case hasAmount:
			l.Amount = amount
		case unit != nil:
			l.Amount = calc.Round(unit.Mul(decimal.NewFromInt(l.Quantity)))
		default:
			return nil, apierr.InvalidRequest("parameter_missing", ip.Param(), "Missing required param: %s. An invoice item needs an amount, a price, or a unit_amount.", ip.Path("amount"))
		}
		if l.Quantity != 0 {
			u := decimal.NewFromInt(l.Amount).DivRound(decimal.NewFromInt(l.Quantity), billing.MaxDecimalPlaces)
			l.UnitAmount = &u
		}
		if l.Currency == "" {
			return nil, apierr.ParameterMissing(ip.Path("currency"))
		}
		if inv.Currency == "" {
			inv.Currency = l.Currency
		}
		out = append(out, l)
	}
	return out, nil
}
