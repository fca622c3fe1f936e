package apiversion

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

// The acacia family: 2024-09-30.acacia (major) … 2025-02-24.acacia
// (api-versions.md §3.1, §3.2; design-15 §2.1–2.6).

var acaciaAlertFilters = &Change{
	At: V2024_09_30_Acacia, ID: "acacia.alert-filters",
	Summary: "billing alerts: usage_threshold with filters[] replaces usage_threshold_config and filter",
	Ref:     "api-versions.md §3.1; CL:acacia/2024-09-30/billing-alerts-contextualizing-filters",
	Params: []ParamEdit{
		{Route: rAlertCreate, Path: "usage_threshold", Kind: ParamAdded, Schema: form.Object(map[string]*form.Schema{
			"filters": form.Array(form.Object(map[string]*form.Schema{
				"customer": form.String(),
				"type":     form.String("customer"),
			}, "type")),
			"gte":        form.Integer(),
			"meter":      form.String(),
			"recurrence": form.String("one_time"),
		}, "gte", "recurrence")},
		{Route: rAlertCreate, Path: "usage_threshold_config", Kind: ParamRemoved},
		{Route: rAlertCreate, Path: "filter", Kind: ParamRemoved},
	},
	Upgrade: []RequestUpgrade{{Routes: []string{rAlertCreate}, Params: []string{"usage_threshold_config", "filter"}, Apply: alertThresholdUpgrade}},
	Fields: append(fieldsOn("billing.alert", FieldAdded, "usage_threshold"),
		fieldsOn("billing.alert", FieldRemoved, "usage_threshold_config", "filter")...),
}

// alertThresholdUpgrade turns 2024-06-20's usage_threshold_config{gte, meter,
// recurrence} and filter{customer} into acacia's usage_threshold{gte, meter,
// recurrence, filters: [{type: customer, customer}]}. Without
// usage_threshold_config the request has no threshold, in either shape.
func alertThresholdUpgrade(p *form.Params) *apierr.Error {
	cfg, filter := p.Get("usage_threshold_config"), p.Get("filter")
	p.Del("usage_threshold_config")
	p.Del("filter")
	if cfg == nil || cfg.Kind != form.KObject {
		return nil
	}
	fields := map[string]*form.Value{}
	cfg.Obj.Range(func(k string, v *form.Value) { fields[k] = v })
	if filter != nil && filter.Kind == form.KObject && filter.Obj.Has("customer") {
		f := objectValue(filter.Param, map[string]*form.Value{"customer": filter.Obj.Get("customer"), "type": stringValue(filter.Param, "customer")})
		fields["filters"] = &form.Value{Kind: form.KArray, Arr: []*form.Value{f}, Param: filter.Param}
	}
	p.Set("usage_threshold", objectValue(cfg.Param, fields))
	return nil
}

var acaciaPretaxCredits = &Change{
	At: V2024_09_30_Acacia, ID: "acacia.pretax-credits",
	Summary: "invoices and their lines: total_pretax_credit_amounts and pretax_credit_amounts",
	Ref:     "api-versions.md §3.1; CL:acacia/2024-10-28/billing-credits-invoice",
	Fields: []FieldEdit{
		{Object: "invoice", Path: "total_pretax_credit_amounts", Kind: FieldAdded},
		{Object: "line_item", Path: "pretax_credit_amounts", Kind: FieldAdded},
	},
}

var acaciaCustomUnitAmount = &Change{
	At: V2024_09_30_Acacia, ID: "acacia.custom-unit-amount",
	Summary: "products: default_price_data[custom_unit_amount]",
	Ref:     "api-versions.md §3.1",
	Params: []ParamEdit{{Route: rProductCreate, Path: "default_price_data.custom_unit_amount", Kind: ParamAdded, Schema: form.Object(map[string]*form.Schema{
		"enabled": form.Boolean(),
		"maximum": form.Integer(),
		"minimum": form.Integer(),
		"preset":  form.Integer(),
	}, "enabled")}},
}

var acaciaV2MeterEvents = &Change{
	At: V2024_09_30_Acacia, ID: "acacia.v2-meter-events",
	Summary: "the v2 meter event endpoints (meter_events, meter_event_adjustments, meter_event_session, meter_event_stream) are documented; the emulator serves them at every version",
	Ref:     "api-versions.md §3.1, §3.11; CL:acacia/2024-09-30/usage-based-billing-v2-meter-events-api",
}

var acacia1028AutoFinalizeParam = &Change{
	At: V2024_10_28_Acacia, ID: "acacia1028.auto-finalize-param",
	Summary: "invoices create and update: automatically_finalizes_at",
	Ref:     "api-versions.md §3.2 (sn §17.3.0)",
	Params:  onRoutes([]string{rInvoiceCreate, rInvoiceUpdate}, "automatically_finalizes_at", ParamAdded, form.Integer()),
}

var acacia1028ValidateLocationAuto = &Change{
	At: V2024_10_28_Acacia, ID: "acacia1028.validate-location-auto",
	Summary: "customers update: tax[validate_location]=auto",
	Ref:     "api-versions.md §3.2 (sn §17.3.0)",
	Params:  []ParamEdit{{Route: rCustomerUpdate, Path: "tax.validate_location", Kind: ParamEnumAdded, Values: []string{"auto"}}},
}

var acacia1218TaxDisabledReason = &Change{
	At: V2024_12_18_Acacia, ID: "acacia1218.tax-disabled-reason",
	Summary: "invoices and subscriptions: automatic_tax.disabled_reason",
	Ref:     "api-versions.md §3.2; CL:acacia/2024-12-18/add-disabled-reason",
	Fields: []FieldEdit{
		{Object: "invoice", Path: "automatic_tax.disabled_reason", Kind: FieldAdded},
		{Object: "subscription", Path: "automatic_tax.disabled_reason", Kind: FieldAdded},
	},
}

var acacia0224DefaultPriceMetadata = &Change{
	At: V2025_02_24_Acacia, ID: "acacia0224.default-price-metadata",
	Summary: "products create: default_price_data[metadata]",
	Ref:     "api-versions.md §3.2; CL:acacia/2025-02-24/products-default-price-data-metadata-field",
	Params:  []ParamEdit{{Route: rProductCreate, Path: "default_price_data.metadata", Kind: ParamAdded, Schema: form.Map(form.String())}},
}
