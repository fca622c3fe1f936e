package server

import (
	"net/url"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
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
		{route: "POST /v1/invoices/create_preview", op: "PostInvoicesCreatePreview", mode: txWrite, dryRun: true, h: createInvoicePreview, accepts: previewParams, rejects: previewRejects},
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
// invoice, with the upcoming_in_ id Stripe's create_preview gives it.
func createInvoicePreview(c *call) (jsonobj.Obj, error) {
	inv, err := c.buildPreview()
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
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

// decodePreview is a preview's request. GET /v1/invoices/upcoming also takes
// the change as the legacy flat subscription_* parameters, which decode into
// the same change (subscription_details[x] wins over subscription_x).
func decodePreview(c *call, p *form.Params) billing.PreviewRequest {
	return billing.PreviewRequest{Customer: optString(p, "customer"), Subscription: optString(p, "subscription"),
		Change: decodePreviewChange(c, p), Recurring: p.StringOr("preview_mode", "next") == "recurring",
		InvoiceItems: decodePreviewItems(p), Currency: optString(p, "currency")}
}

// decodePreviewChange is a preview's change to the subscription.
func decodePreviewChange(c *call, p *form.Params) billing.PreviewChange {
	d := p.Object("subscription_details")
	// at is where a parameter of the change is: in subscription_details, or flat.
	at := func(detail, flat string) (*form.Params, string) {
		if d.Has(detail) {
			return d, detail
		}
		return p, flat
	}
	ch := billing.PreviewChange{ProrationBehavior: billing.ProrationCreate}
	if q, k := at("items", "subscription_items"); q.Has(k) {
		ch.Items, ch.ItemsGiven = decodeItems(c, q, k), true
	}
	if q, k := at("proration_behavior", "subscription_proration_behavior"); q.Has(k) {
		ch.ProrationBehavior = billing.ProrationBehavior(q.Get(k).Str)
	}
	ch.ProrationDate = optInt(at("proration_date", "subscription_proration_date"))
	ch.CancelAtPeriodEnd = optBool(at("cancel_at_period_end", "subscription_cancel_at_period_end"))
	ch.CancelNow = optBool(at("cancel_now", "subscription_cancel_now")).V
	ch.CancelAt = optInt(at("cancel_at", "subscription_cancel_at"))
	ch.TrialEnd = decodeMoment(at("trial_end", "subscription_trial_end"))
	if q, k := at("billing_cycle_anchor", "subscription_billing_cycle_anchor"); q.Has(k) {
		if v := q.Get(k); v.Kind == form.KInt {
			ch.AnchorTimestamp = v.Param
		} else {
			ch.AnchorNow = v.Str == "now"
		}
	}
	return ch
}

// decodePreviewItems is a preview's invoice_items.
func decodePreviewItems(p *form.Params) []billing.InvoiceItemSpec {
	ips := p.Objects("invoice_items")
	if len(ips) == 0 {
		return nil
	}
	out := make([]billing.InvoiceItemSpec, len(ips))
	for i, ip := range ips {
		out[i] = billing.InvoiceItemSpec{Param: ip.Param(), Currency: optString(ip, "currency"), Fields: decodeInvoiceItemFields(ip)}
	}
	return out
}

// buildPreview computes the invoice the preview parameters describe. Nothing it
// does is committed (the endpoints run dry).
func (c *call) buildPreview() (*billing.Invoice, error) {
	in := decodePreview(c, c.params)
	customerID := in.Customer.V
	if !in.Customer.Set && !in.Subscription.Set {
		return nil, apierr.ParameterMissing("customer")
	}
	var sub *billing.Subscription
	if in.Subscription.Set {
		s, err := c.getSubscription(in.Subscription.V, "subscription")
		if err != nil {
			return nil, err
		}
		if in.Customer.Set && s.Customer != customerID {
			return nil, apierr.Invalid("subscription", "The subscription %s does not belong to the customer %s.", s.ID, customerID)
		}
		customerID, sub = s.Customer, s
	}
	cu, err := c.getCustomer(customerID, "customer", false)
	if err != nil {
		return nil, err
	}
	change := in.Change
	if param := change.AnchorTimestamp; param != "" {
		return nil, apierr.InvalidRequest("", param, "stripe-emulator does not support a timestamp for %s in previews yet; use now or unchanged, or create the subscription with its billing_cycle_anchor and preview its upcoming invoice.", param)
	}
	if sub == nil {
		if sub, err = c.nextSubscription(cu.ID); err != nil {
			return nil, err
		}
	}
	now := c.u.CustomerNow(cu.ID)
	recurringOnly := in.Recurring
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
	case change.ItemsGiven:
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
		extra, err := c.previewInvoiceItems(inv, in.InvoiceItems)
		if err != nil {
			return nil, err
		}
		inv.Lines = append(append(append([]billing.Line{}, billing.ItemLines(pending)...), extra...), inv.Lines...)
	}
	if len(inv.Lines) == 0 && (sub == nil || !sub.Live()) {
		return nil, &apierr.Error{Status: 404, Type: apierr.TypeInvalidRequest, Code: "invoice_upcoming_none",
			Message: "No upcoming invoices for customer: " + cu.ID}
	}
	if in.Currency.Set && inv.Currency != "" && in.Currency.V != inv.Currency {
		return nil, apierr.Invalid("currency", "The currency %s does not match the currency of the customer's upcoming invoice (%s).", in.Currency.V, inv.Currency)
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

// previewSubscription fills a preview of an existing subscription's next
// invoice, with a change applied if one is given. A change runs through the
// same code as the real update, inside the preview's transaction (never
// committed): if it bills at once, the preview is that invoice; otherwise it is
// the changed subscription's next renewal, with the prorations it left pending.
func (c *call) previewSubscription(inv *billing.Invoice, sub *billing.Subscription, change billing.PreviewChange, now int64, recurringOnly bool) error {
	inv.Subscription, inv.Currency, inv.CollectionMethod = sub.ID, sub.Currency, sub.CollectionMethod
	inv.SubscriptionMetadata = sub.Metadata
	if change.CancelNow {
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
	next, billed, err := billing.ChangeForPreview(&c.u, sub, change, recurringOnly, now)
	if err != nil {
		return err
	}
	if billed != nil {
		inv.BillingReason, inv.PeriodStart, inv.PeriodEnd, inv.Created = billed.BillingReason, billed.PeriodStart, billed.PeriodEnd, billed.Created
		inv.Lines, inv.DueDate = billed.Lines, billed.DueDate
		return nil
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
func (c *call) previewNewSubscription(inv *billing.Invoice, cu *billing.Customer, change billing.PreviewChange, now int64) error {
	sub := &billing.Subscription{Meta: store.Meta{ID: "", Created: now}, Customer: cu.ID, Status: billing.SubscriptionActive, CollectionMethod: "charge_automatically"}
	items, err := billing.NewItemsForPreview(&c.u, sub, change.Items, now)
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
func (c *call) previewInvoiceItems(inv *billing.Invoice, items []billing.InvoiceItemSpec) ([]billing.Line, error) {
	var out []billing.Line
	for i, spec := range items {
		f := spec.Fields
		l := billing.Line{ID: billing.LineID(inv.ID, "invoice_items", strconv.Itoa(i)), Type: "invoiceitem", Quantity: 1, Discountable: true,
			PeriodStart: inv.Created, PeriodEnd: inv.Created, Metadata: map[string]string{}}
		l.Currency = inv.Currency
		if spec.Currency.Set {
			l.Currency = spec.Currency.V
		}
		l.Description = f.Description.V
		if f.Quantity.Set {
			l.Quantity = f.Quantity.V
		}
		if f.Period.Set {
			l.PeriodStart, l.PeriodEnd = f.Period.V.Start, f.Period.V.End
		}
		if f.Discountable.Set {
			l.Discountable = f.Discountable.V
		}
		md, err := metadata.Apply(nil, f.Metadata)
		if err != nil {
			return nil, err
		}
		if md != nil {
			l.Metadata = md
		}
		unit, err := f.UnitAmount.Value()
		if err != nil {
			return nil, err
		}
		amountParam := spec.Param + "[amount]"
		if err := billing.CheckAmount(amountParam, f.Amount.V); f.Amount.Set && err != nil {
			return nil, err
		}
		switch {
		case f.Price.Set:
			pr, err := c.getPrice(f.Price.V, spec.Param+"[price]")
			if err != nil {
				return nil, err
			}
			l.Price, l.Currency = pr.ID, pr.Currency
			l.Amount = pr.AmountFor(l.Quantity)
			if l.Description == "" {
				l.Description = billing.ProductName(c.tx, pr)
			}
		case f.Amount.Set:
			l.Amount = f.Amount.V
		case unit != nil:
			l.Amount = calc.Round(unit.Mul(decimal.NewFromInt(l.Quantity)))
		default:
			return nil, apierr.InvalidRequest("parameter_missing", spec.Param, "Missing required param: %s. An invoice item needs an amount, a price, or a unit_amount.", amountParam)
		}
		if l.Quantity != 0 {
			u := decimal.NewFromInt(l.Amount).DivRound(decimal.NewFromInt(l.Quantity), billing.MaxDecimalPlaces)
			l.UnitAmount = &u
		}
		if l.Currency == "" {
			return nil, apierr.ParameterMissing(spec.Param + "[currency]")
		}
		if inv.Currency == "" {
			inv.Currency = l.Currency
		}
		out = append(out, l)
	}
	return out, nil
}
