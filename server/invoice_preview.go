package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
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
			newer: []string{"subscription_details.billing_cycle_anchor", "subscription_details.billing_mode", "subscription_details.pause"}},
	}
}

// upcomingInvoice answers GET /v1/invoices/upcoming: an invoice without an id
// (the key is absent: "always present unless the invoice is an upcoming invoice").
func upcomingInvoice(c *call) (jsonobj.Obj, error) {
	inv, err := billing.Preview(&c.u, decodePreview(c, c.params))
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
// subscriptions" (billing.PreviewRequest's NeedsTarget).
func createInvoicePreview(c *call) (jsonobj.Obj, error) {
	in := decodePreview(c, c.params)
	in.NeedsTarget = c.v.Has(apiversion.GatePreviewNeedsTarget)
	inv, err := billing.Preview(&c.u, in)
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

func upcomingInvoiceLines(c *call) (jsonobj.Obj, error) {
	inv, err := billing.Preview(&c.u, decodePreview(c, c.params))
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
		{K: "total_count", V: jsonobj.Hidden{V: len(inv.Lines)}},
		{K: "url", V: inv.LinesURL},
	}, nil
}

// decodePreview is a preview's request. GET /v1/invoices/upcoming also takes
// the change as the legacy flat subscription_* parameters, which decode into
// the same change (subscription_details[x] wins over subscription_x).
func decodePreview(c *call, p *form.Params) billing.PreviewRequest {
	return billing.PreviewRequest{Customer: optString(p, "customer"), Subscription: optString(p, "subscription"),
		Change: decodePreviewChange(c, p), Recurring: p.StringOr("preview_mode", "next") == "recurring",
		InvoiceItems: decodePreviewItems(p), Currency: optString(p, "currency"), Target: previewHasTarget(p)}
}

// previewHasTarget reports whether a preview names what it previews beside
// the customer: a subscription, a schedule, subscription items or invoice
// items.
func previewHasTarget(p *form.Params) bool {
	return p.Has("subscription") || p.Has("schedule") || p.Object("subscription_details").Has("items") ||
		p.Object("schedule_details").Has("phases") || p.Has("invoice_items")
}

// decodePreviewChange is a preview's change to the subscription.
func decodePreviewChange(c *call, p *form.Params) billing.PreviewChange {
	d := p.Object("subscription_details")
	ch := billing.PreviewChange{ProrationBehavior: billing.ProrationCreate, Mode: decodeBillingMode(c, d)}
	if onlyTarget(p) { // most previews: the subscription as it is
		return ch
	}
	// at is where a parameter of the change is: in subscription_details, or flat.
	at := func(detail, flat string) (*form.Params, string) {
		if d.Has(detail) {
			return d, detail
		}
		return p, flat
	}
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
	// subscription_details[billing_cycle_anchor] is endive's object (an older
	// version's value is upgraded to it); upcoming's flat
	// subscription_billing_cycle_anchor keeps its own shape.
	if q, k := at("billing_cycle_anchor", "subscription_billing_cycle_anchor"); q.Has(k) {
		v := q.Get(k)
		typ := v.Str
		if v.Kind == form.KObject {
			typ = v.Obj.StringOr("type", "")
		}
		if v.Kind == form.KInt || typ == "timestamp" {
			ch.AnchorTimestamp = v.Param
		} else {
			ch.AnchorNow = typ == "now"
		}
	}
	if d.Has("pause") { // create_preview from 2026-09-30.endive
		settings := decodePauseSettings(d.Object("pause"))
		ch.Pause = &settings
	}
	return ch
}

// onlyTarget reports whether a preview's parameters name only what it
// previews and how it is rendered: no change to decode.
func onlyTarget(p *form.Params) bool {
	only := true
	p.Range(func(key string, _ *form.Value) {
		switch key {
		case "customer", "subscription", "expand":
		default:
			only = false
		}
	})
	return only
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
