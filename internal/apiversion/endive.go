package apiversion

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

// The endive family: 2026-09-30.endive (major) and 2026-10-28.endive. No
// catalogue exists for it: the schemas come from stripe-node 23.1.0's types
// (api-versions.md §3.10; design-15 §2.25, §2.26).

var endiveAnchorObject = &Change{
	At: V2026_09_30_Endive, ID: "endive.anchor-object",
	Summary: "subscriptions update and resume, previews: billing_cycle_anchor is an object ({type: now|unchanged}, previews also {type: timestamp, timestamp})",
	Ref:     "api-versions.md §3.10; CL:endive/2026-09-30/polymorphic-billing-cycle-anchor",
	Params: append(onRoutes([]string{rSubUpdate, rSubResume}, "billing_cycle_anchor", ParamRetyped,
		form.Object(map[string]*form.Schema{"type": form.String("now", "unchanged")}, "type")),
		ParamEdit{Route: rPreview, Path: "subscription_details.billing_cycle_anchor", Kind: ParamRetyped,
			Schema: form.Object(map[string]*form.Schema{
				"timestamp": form.Integer(),
				"type":      form.String("now", "timestamp", "unchanged"),
			}, "type")}),
	Upgrade: []RequestUpgrade{
		{Routes: []string{rSubUpdate, rSubResume}, Params: []string{"billing_cycle_anchor"}, Apply: anchorObjectUpgrade},
		{Routes: []string{rPreview, rUpcoming, rUpcomingLines}, Params: []string{"subscription_details"}, Apply: previewAnchorObjectUpgrade},
	},
}

// anchorObjectUpgrade turns billing_cycle_anchor=now|unchanged into
// billing_cycle_anchor[type]=now|unchanged.
func anchorObjectUpgrade(p *form.Params) *apierr.Error {
	if v := p.Get("billing_cycle_anchor"); v != nil && v.Kind == form.KString {
		p.Set("billing_cycle_anchor", objectValue(v.Param, map[string]*form.Value{"type": v}))
	}
	return nil
}

// previewAnchorObjectUpgrade turns a preview's
// subscription_details[billing_cycle_anchor]=now|unchanged|<timestamp> into
// {type: now|unchanged} or {type: timestamp, timestamp}.
func previewAnchorObjectUpgrade(p *form.Params) *apierr.Error {
	d := p.Object("subscription_details")
	v := d.Get("billing_cycle_anchor")
	switch {
	case v == nil:
	case v.Kind == form.KString:
		d.Set("billing_cycle_anchor", objectValue(v.Param, map[string]*form.Value{"type": v}))
	case v.Kind == form.KInt:
		d.Set("billing_cycle_anchor", objectValue(v.Param, map[string]*form.Value{"type": stringValue(v.Param, "timestamp"), "timestamp": v}))
	}
	return nil
}

var endivePause = &Change{
	At: V2026_09_30_Endive, ID: "endive.pause",
	Summary: "POST /v1/subscriptions/{subscription}/pause; previews: subscription_details[pause]; resume: payment_behavior",
	Ref:     "api-versions.md §3.10; CL:endive/2026-09-30/pause-subscription",
	Routes:  []RouteEdit{{Route: rSubPause, Kind: RouteAdded}},
	Params: []ParamEdit{
		{Route: rPreview, Path: "subscription_details.pause", Kind: ParamAdded, Schema: form.Object(map[string]*form.Schema{
			"bill_for": form.Object(map[string]*form.Schema{
				"outstanding_usage_through": form.Object(map[string]*form.Schema{"type": form.String("none", "now")}, "type"),
				"unused_time_from":          form.Object(map[string]*form.Schema{"type": form.String("item_current_period_start", "none", "now")}, "type"),
			}),
			"invoicing_behavior": form.String("invoice", "pending_invoice_item"),
			"type":               form.String("subscription"),
		})},
		{Route: rSubResume, Path: "payment_behavior", Kind: ParamAdded, Schema: form.String("resume_on_payment_attempt", "resume_on_payment_success")},
	},
	Fields: []FieldEdit{
		{Object: "subscription", Path: "status_details", Kind: FieldAdded},
		{Object: "invoice", Path: "status_details", Kind: FieldAdded},
	},
}

// endive1028PauseSchedules is stripe-node 23.1.0's "Add support for
// pause_schedules on InvoiceCreatePreviewParams.schedule_details": a
// schedule's pause and optional resume (the emulator serves no subscription
// schedules, so it supports none of schedule_details).
var endive1028PauseSchedules = &Change{
	At: V2026_10_28_Endive, ID: "endive1028.preview-pause-schedules",
	Summary: "previews: schedule_details[pause_schedules]",
	Ref:     "api-versions.md §3.10 (sn §23.1.0)",
	Params:  []ParamEdit{{Route: rPreview, Path: "schedule_details.pause_schedules", Kind: ParamAdded, Schema: pauseSchedules()}},
}

// pauseSchedules is schedule_details[pause_schedules] (stripe-node 23.1.0's
// InvoiceCreatePreviewParams.ScheduleDetails.PauseSchedule; "" clears them).
func pauseSchedules() *form.Schema {
	typed := func(values ...string) *form.Schema {
		return form.Object(map[string]*form.Schema{"type": form.String(values...)})
	}
	return form.Array(form.Object(map[string]*form.Schema{
		"key": form.String(),
		"pause": form.Object(map[string]*form.Schema{
			"pause_at": form.Object(map[string]*form.Schema{"timestamp": form.Integer(), "type": form.String("now", "timestamp")}, "type"),
			"settings": form.Object(map[string]*form.Schema{
				"bill_for": form.Object(map[string]*form.Schema{
					"outstanding_usage_through": typed("none", "pause_at"),
					"unused_time_from":          typed("item_current_period_start", "none", "pause_at"),
				}),
				"invoicing_behavior": form.String("invoice", "pending_invoice_item"),
				"type":               form.String("subscription"),
			}),
		}),
		"resume": form.Object(map[string]*form.Schema{
			"resume_at": form.Object(map[string]*form.Schema{
				"duration":  duration(),
				"timestamp": form.Integer(),
				"type":      form.String("duration", "now", "timestamp"),
			}, "type"),
			"settings": form.Object(map[string]*form.Schema{
				"billing_cycle_anchor": form.String("resume_at", "unchanged"),
				"payment_behavior":     form.String("resume_on_payment_attempt", "resume_on_payment_success"),
				"proration_behavior":   form.String("always_invoice", "create_prorations", "none"),
			}),
		}).Empty(),
	})).Empty()
}

var endiveTrialEndAnchor = &Change{
	At: V2026_09_30_Endive, ID: "endive.trial-end-anchor",
	Summary: "subscriptions: trial_settings[end_behavior][billing_cycle_anchor]; missing_payment_method becomes optional",
	Ref:     "api-versions.md §3.10 (sn §23.0.0)",
	Params: append(onRoutes(subWrites, "trial_settings.end_behavior.billing_cycle_anchor", ParamAdded, form.String("now", "unchanged")),
		onRoutes(subWrites, "trial_settings.end_behavior.missing_payment_method", ParamOptional, nil)...),
	Fields: fieldsOn("subscription", FieldAdded, "trial_settings.end_behavior.billing_cycle_anchor"),
}

func currentTrial() *form.Schema {
	return form.Object(map[string]*form.Schema{"trial_offer": form.String()}, "trial_offer")
}

var endiveCurrentTrial = &Change{
	At: V2026_09_30_Endive, ID: "endive.current-trial",
	Summary: "subscription items: current_trial",
	Ref:     "api-versions.md §3.10 (sn §23.0.0)",
	Params: append(append(
		onRoutes(subWrites, "items.current_trial", ParamAdded, currentTrial()),
		onRoutes(itemWrites, "current_trial", ParamAdded, currentTrial())...),
		ParamEdit{Route: rPreview, Path: "subscription_details.items.current_trial", Kind: ParamAdded, Schema: currentTrial()}),
	Fields: fieldsOn("subscription_item", FieldAdded, "current_trial"),
}

var endiveInvoicingRules = &Change{
	At: V2026_09_30_Endive, ID: "endive.invoicing-rules",
	Summary: "invoice items: invoicing_rules (cleared with \"\" on update)",
	Ref:     "api-versions.md §3.10; CL:endive/2026-09-30/invoicing-rules-for-invoice-items",
	Params:  []ParamEdit{{Route: rInvoiceItemUpdate, Path: "invoicing_rules", Kind: ParamAdded, Schema: form.String().Empty()}},
	Fields:  fieldsOn("invoiceitem", FieldAdded, "invoicing_rules"),
}

var endivePendingUpdateCancel = &Change{
	At: V2026_09_30_Endive, ID: "endive.pending-update-cancel",
	Summary: "subscriptions: pending_update.cancel_at_period_end",
	Ref:     "api-versions.md §3.10; CL:endive/2026-09-30/scheduled-subscription-cancellation",
	Fields:  fieldsOn("subscription", FieldAdded, "pending_update.cancel_at_period_end"),
}

var endiveProrationDetailsClassic = &Change{
	At: V2026_09_30_Endive, ID: "endive.proration-details-classic",
	Summary: "invoice items: proration_details for classic subscriptions too",
	Ref:     "api-versions.md §3.10; CL:endive/2026-09-30/invoice-items-proration-details",
	Gates:   []Gate{GateProrationDetailsClassic},
}

func taxDetails() *form.Schema {
	return form.Object(map[string]*form.Schema{"performance_location": form.String(), "tax_code": form.String().Empty()})
}

var endiveTaxDetails = &Change{
	At: V2026_09_30_Endive, ID: "endive.tax-details",
	Summary: "products and prices' product_data: tax_details",
	Ref:     "api-versions.md §3.10 (sn §23.0.0)",
	Params: []ParamEdit{
		{Route: rProductCreate, Path: "tax_details", Kind: ParamAdded, Schema: taxDetails()},
		{Route: rProductUpdate, Path: "tax_details", Kind: ParamAdded, Schema: taxDetails().Empty()},
		{Route: rPriceCreate, Path: "product_data.tax_details", Kind: ParamAdded, Schema: taxDetails()},
	},
	Fields: fieldsOn("product", FieldAdded, "tax_details"),
}
