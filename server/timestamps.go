package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

// timestampParams are the parameters (by their last name) that carry a Unix
// time, at any depth: created[gte], items[0][...], subscription_trial_end...
var timestampParams = map[string]bool{
	"frozen_time": true, "timestamp": true, "start_time": true, "end_time": true,
	"trial_end": true, "cancel_at": true, "billing_cycle_anchor": true, "proration_date": true,
	"due_date": true, "backdate_start_date": true, "effective_at": true,
	"subscription_trial_end": true, "subscription_cancel_at": true, "subscription_billing_cycle_anchor": true,
	"subscription_proration_date": true, "subscription_backdate_start_date": true,
}

// rangeParams are the keys of a range filter (created[gte]=...).
var rangeParams = map[string]bool{"gt": true, "gte": true, "lt": true, "lte": true}

// checkTimestamps refuses any time outside the years 1970 to 9999, so that no
// handler does period arithmetic on a time that overflows.
func checkTimestamps(p *form.Params, inRange bool) error {
	if p == nil {
		return nil
	}
	for _, k := range p.Keys() {
		v := p.Get(k)
		if err := checkTimestampValue(v, timestampParams[k] || k == "created" || (inRange && rangeParams[k]), k == "created"); err != nil {
			return err
		}
	}
	return nil
}

func checkTimestampValue(v *form.Value, isTime, isCreated bool) error {
	switch v.Kind {
	case form.KInt:
		if isTime && (v.Int < calc.MinTime || v.Int > calc.MaxTime) {
			return apierr.Invalid(v.Param, "Invalid timestamp: %s must be a Unix timestamp between 0 (1970) and %d (the end of 9999); got %d.", v.Param, calc.MaxTime, v.Int)
		}
	case form.KObject:
		return checkTimestamps(v.Obj, isCreated)
	case form.KArray:
		for _, e := range v.Arr {
			if err := checkTimestampValue(e, isTime, false); err != nil {
				return err
			}
		}
	}
	return nil
}
