package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
)

// decodeMetadata is the request's metadata parameter at key, as a change to
// make (metadata.Apply checks it and applies it).
func decodeMetadata(p *form.Params, key string) metadata.Patch {
	switch {
	case !p.Has(key):
		return metadata.Patch{}
	case p.IsEmpty(key):
		return metadata.Patch{Given: true, Clear: true, Param: p.Path(key)}
	}
	return metadata.Patch{Given: true, Param: p.Path(key), Keys: p.StringMap(key)}
}

// subObject builds a nested object from a parameter, with every listed field
// present (null when not given). Nested objects are rendered by nested.
func subObject(p *form.Params, fields []string, nested map[string]func(*form.Params) jsonobj.Obj) jsonobj.Obj {
	o := make(jsonobj.Obj, 0, len(fields))
	for _, f := range fields {
		var v any
		if fn := nested[f]; fn != nil {
			if sub := p.Object(f); sub != nil {
				v = fn(sub)
			}
		} else if val := p.Get(f); val != nil {
			v = plainValue(val)
		}
		o = append(o, jsonobj.Field{K: f, V: v})
	}
	return o
}

// plainValue renders a parameter value as the JSON Stripe echoes: integers,
// booleans and strings typed, objects and arrays recursively, "" as null.
func plainValue(v *form.Value) any {
	switch v.Kind {
	case form.KInt:
		return v.Int
	case form.KBool:
		return v.Bool
	case form.KNumber:
		f, _ := v.Num.Float64()
		return f
	case form.KEmpty:
		return nil
	case form.KArray:
		out := make([]any, len(v.Arr))
		for i, e := range v.Arr {
			out[i] = plainValue(e)
		}
		return out
	case form.KObject:
		o := jsonobj.Obj{}
		for _, k := range v.Obj.Keys() {
			o = append(o, jsonobj.Field{K: k, V: plainValue(v.Obj.Get(k))})
		}
		return o
	}
	if v.Str == "" {
		return nil
	}
	return v.Str
}

var addressFields = []string{"city", "country", "line1", "line2", "postal_code", "state"}

// mergeObject overlays the given fields of p on cur (nil: all fields null),
// keeping cur's other fields: Stripe's update of nested objects.
func mergeObject(cur jsonobj.Obj, p *form.Params, fields []string, nested map[string]func(*form.Params) jsonobj.Obj) jsonobj.Obj {
	fresh := subObject(p, fields, nested)
	if cur == nil {
		return fresh
	}
	out := make(jsonobj.Obj, len(cur))
	copy(out, cur)
	for _, f := range fresh {
		if p.Has(f.K) {
			out.Set(f.K, f.V)
		}
	}
	return out
}

// The decoders of typed inputs (billing's): they copy what a request gave,
// and never fail. The schema has checked every parameter's type and enum;
// the engine makes every other check, in its place.

// optString, optInt and optBool are a parameter of their type as the
// request gave it.
func optString(p *form.Params, key string) billing.Opt[string] {
	return opt(p, key, form.KString, func(v *form.Value) string { return v.Str })
}

func optInt(p *form.Params, key string) billing.Opt[int64] {
	return opt(p, key, form.KInt, func(v *form.Value) int64 { return v.Int })
}

func optBool(p *form.Params, key string) billing.Opt[bool] {
	return opt(p, key, form.KBool, func(v *form.Value) bool { return v.Bool })
}

// opt is a parameter of kind as the request gave it: absent, given with a
// value (val of it), or given empty.
func opt[T any](p *form.Params, key string, kind form.Kind, val func(*form.Value) T) billing.Opt[T] {
	v := p.Get(key)
	switch {
	case v == nil:
		return billing.Opt[T]{}
	case v.Kind == kind:
		return billing.Some(val(v))
	}
	return billing.Opt[T]{Clear: v.Kind == form.KEmpty}
}

// decodeAmount is an amount given as key (minor units) or key_decimal.
func decodeAmount(p *form.Params, key string) billing.AmountInput {
	a := billing.AmountInput{IntParam: p.Path(key), DecimalParam: p.Path(key + "_decimal"), Int: optInt(p, key), Decimal: optString(p, key+"_decimal")}
	if a.Decimal.Set {
		d, err := form.ParseDecimal(a.Decimal.V)
		a.Parsed, a.Valid = d, err == nil
	}
	return a
}

// decodeInvoiceItemFields is what an invoice item's create and update, the
// update of an invoice's line, and a preview's invoice_items set. The price
// of the first three is basil's pricing[price] (a request before basil gives
// price, which its upgrade turns into it); a preview's invoice_items keep
// price at every version.
func decodeInvoiceItemFields(p *form.Params) billing.InvoiceItemFields {
	priced := p
	if pricing := p.Object("pricing"); pricing != nil {
		priced = pricing
	}
	f := billing.InvoiceItemFields{Quantity: optInt(p, "quantity"), UnitAmount: decodeAmount(p, "unit_amount"), Amount: optInt(p, "amount"),
		Price: optString(priced, "price"), Description: optString(p, "description"), Discountable: optBool(p, "discountable"),
		Metadata: decodeMetadata(p, "metadata")}
	if v := priced.Get("price"); v != nil {
		f.PriceParam = v.Param
	}
	if per := p.Object("period"); per != nil {
		start, _ := per.Int("start")
		end, _ := per.Int("end")
		f.Period = billing.Some(billing.Period{Start: start, End: end})
	} else {
		f.Period.Clear = p.Has("period")
	}
	return f
}

// decodeItems is the array of items at key (items, subscription_details[items],
// subscription_items), each an ItemChange.
func decodeItems(c *call, p *form.Params, key string) []billing.ItemChange {
	ips := p.Objects(key)
	if len(ips) == 0 {
		return nil
	}
	out := make([]billing.ItemChange, len(ips))
	for i, ip := range ips {
		out[i] = decodeItemChange(c, ip)
	}
	return out
}

// decodeItemChange is one item as ip gives it: an element of items, or an
// item endpoint's parameters.
func decodeItemChange(c *call, ip *form.Params) billing.ItemChange {
	ic := billing.ItemChange{Param: ip.Param(), ID: optString(ip, "id"), Deleted: optBool(ip, "deleted").V, ClearUsage: optBool(ip, "clear_usage").V,
		Price: decodePriceRef(c, ip), Quantity: optInt(ip, "quantity"), Metadata: decodeMetadata(ip, "metadata")}
	if c.v.Has(apiversion.GateNoLegacyMetered) {
		ic.RefuseLegacyMetered = c.v.String()
	}
	return ic
}

// decodePriceRef is the price p names: price, plan, or price_data (a price
// created by inlinePrice when the engine resolves it).
func decodePriceRef(c *call, p *form.Params) billing.PriceRef {
	ref := billing.PriceRef{Price: optString(p, "price"), Plan: optString(p, "plan")}
	if pd := p.Object("price_data"); pd != nil {
		ref.Inline = func() (*billing.Price, error) { return c.inlinePrice(pd) }
	}
	return ref
}

// decodeMoment is a parameter that is a timestamp or "now" (trial_end).
func decodeMoment(p *form.Params, key string) billing.Opt[billing.Moment] {
	v := p.Get(key)
	switch {
	case v == nil:
		return billing.Opt[billing.Moment]{}
	case v.Kind == form.KInt:
		return billing.Some(billing.Moment{At: v.Int})
	case v.Kind == form.KString:
		return billing.Some(billing.Moment{Now: true})
	}
	return billing.Opt[billing.Moment]{Clear: true}
}

// decodeProrationBehavior is proration_behavior (create_prorations unless given).
func decodeProrationBehavior(p *form.Params) billing.ProrationBehavior {
	return billing.ProrationBehavior(p.StringOr("proration_behavior", string(billing.ProrationCreate)))
}
