package server

import (
	"slices"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/fixtures"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// Emulator-only endpoints: health, reset, and the request log. They live outside
// Stripe's namespace, under /healthz and /_emulator/.
func emulatorEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /healthz", noAuth: true, mode: txNone, h: health},
		{route: "POST /_emulator/reset", mode: txNone, h: reset},
		{route: "POST /_emulator/fixtures", raw: true, mode: txNone, h: loadFixtures},
		{route: "GET /_emulator/requests/{id}", mode: txNone, h: requestLogEntry,
			schema: form.Object(map[string]*form.Schema{})},
		{route: "GET /_emulator/account", mode: txNone, h: emulatorAccount,
			schema: form.Object(map[string]*form.Schema{})},
		{route: "POST /_emulator/account", mode: txNone, h: updateEmulatorAccount,
			schema: form.Object(map[string]*form.Schema{"default_api_version": form.String(), "billing": billingSettingsSchema})},
	}
}

// emulatorAccount is GET /_emulator/account: the calling key's account, its
// default API version (the emulator's while the account has none) and what
// set it ("request", "emulator", "fixtures"; null: not set yet, the next
// request that names a version sets it).
func emulatorAccount(c *call) (jsonobj.Obj, error) {
	v, by := c.acct.defaultAPIVersion()
	var setBy any
	if by == setByNone {
		v = c.s.defaultVersion
	} else {
		setBy = by.String()
	}
	return jsonobj.Obj{
		{K: "object", V: "emulator.account"},
		{K: "billing", V: renderBillingSettings(c.acct.dunningSettings())},
		{K: "default_api_version", V: v.String()},
		{K: "default_api_version_set_by", V: setBy},
	}, nil
}

// updateEmulatorAccount is POST /_emulator/account: default_api_version sets
// the account's default API version.
func updateEmulatorAccount(c *call) (jsonobj.Obj, error) {
	if name, ok := c.params.String("default_api_version"); ok {
		v, known := apiversion.Parse(name)
		if !known {
			return nil, apierr.InvalidRequest("", "default_api_version", "Invalid Stripe API version: %s", name)
		}
		c.acct.setDefaultAPIVersion(v, setByEmulator, false)
	}
	if b := c.params.Object("billing"); b != nil {
		d, err := decodeBillingSettings(c.acct.dunningSettings(), b)
		if err != nil {
			return nil, err
		}
		c.acct.dunning.Store(&d)
	}
	return emulatorAccount(c)
}

// The account's emulator-only billing settings (design-16 §4.3): what
// Stripe keeps in its Dashboard, retries of failed payments and what
// follows the last, given as
//
//	billing[retries][type]=smart|custom
//	billing[retries][smart][max_retries]=1…8  billing[retries][smart][window_days]=7|14|21|30|60
//	billing[retries][custom][days][]=1|3|5|7 (one to three)
//	billing[after_final_failure][subscription]=cancel|mark_unpaid|leave_past_due
//	billing[after_final_failure][invoice]=leave_open|mark_uncollectible
//
// A request changes only the members it names; a reset restores Stripe's
// defaults (billing.DefaultDunning).
var billingSettingsSchema = form.Object(map[string]*form.Schema{
	"retries": form.Object(map[string]*form.Schema{
		"type":   form.String("smart", "custom"),
		"smart":  form.Object(map[string]*form.Schema{"max_retries": form.Integer(), "window_days": form.Integer()}),
		"custom": form.Object(map[string]*form.Schema{"days": form.Array(form.Integer())}),
	}),
	"after_final_failure": form.Object(map[string]*form.Schema{
		"subscription": form.String(billing.DunningCancel, billing.DunningMarkUnpaid, billing.DunningLeavePastDue),
		"invoice":      form.String(billing.DunningLeaveOpen, billing.DunningMarkUncollectible),
	}),
})

// billingPatch is a change to an account's billing settings, from
// billing[...] of POST /_emulator/account or a fixtures file's
// _meta.account.billing: nil members keep the account's.
type billingPatch struct {
	retryType              *string
	maxRetries, windowDays *int
	customDays             []int // nil: not given
	subAction, invAction   *string
}

// apply changes the account's settings d, and checks what they become.
func (bp billingPatch) apply(d billing.Dunning) (billing.Dunning, error) {
	d.CustomDays = slices.Clone(d.CustomDays)
	if bp.retryType != nil {
		d.Smart = *bp.retryType == "smart"
	}
	if bp.maxRetries != nil {
		d.MaxRetries = *bp.maxRetries
	}
	if bp.windowDays != nil {
		d.WindowDays = *bp.windowDays
	}
	if bp.customDays != nil {
		d.CustomDays = slices.Clone(bp.customDays)
	}
	if bp.subAction != nil {
		d.SubscriptionAction = *bp.subAction
	}
	if bp.invAction != nil {
		d.InvoiceAction = *bp.invAction
	}
	return d, d.Check("billing")
}

// decodeBillingSettings is billing[...] applied to the account's settings d.
func decodeBillingSettings(d billing.Dunning, b *form.Params) (billing.Dunning, error) {
	var bp billingPatch
	small := func(n int64) *int { v := int(min(max(n, -1), 1000)); return &v }
	if r := b.Object("retries"); r != nil {
		if t, ok := r.String("type"); ok {
			bp.retryType = &t
		}
		if sm := r.Object("smart"); sm != nil {
			if n, ok := sm.Int("max_retries"); ok {
				bp.maxRetries = small(n)
			}
			if n, ok := sm.Int("window_days"); ok {
				bp.windowDays = small(n)
			}
		}
		if cu := r.Object("custom"); cu != nil && cu.Has("days") {
			days := cu.Array("days")
			if len(days) > 10 {
				return d, apierr.Invalid("billing[retries][custom][days]", "A custom retry schedule has 1 to 3 retries, not %d.", len(days))
			}
			bp.customDays = []int{}
			for _, v := range days {
				bp.customDays = append(bp.customDays, *small(v.Int))
			}
		}
	}
	if f := b.Object("after_final_failure"); f != nil {
		if v, ok := f.String("subscription"); ok {
			bp.subAction = &v
		}
		if v, ok := f.String("invoice"); ok {
			bp.invAction = &v
		}
	}
	return bp.apply(d)
}

// fixtureBillingSettings is a fixtures file's _meta.account.billing applied
// to the account's settings d.
func fixtureBillingSettings(d billing.Dunning, m *fixtures.BillingMeta) (billing.Dunning, error) {
	var bp billingPatch
	if r := m.Retries; r != nil {
		if r.Type != nil && *r.Type != "smart" && *r.Type != "custom" {
			return d, apierr.Invalid("billing[retries][type]", "Invalid value %q: must be smart or custom.", *r.Type)
		}
		bp.retryType = r.Type
		if r.Smart != nil {
			bp.maxRetries, bp.windowDays = r.Smart.MaxRetries, r.Smart.WindowDays
		}
		if r.Custom != nil && r.Custom.Days != nil {
			bp.customDays = r.Custom.Days
		}
	}
	if f := m.AfterFinalFailure; f != nil {
		bp.subAction, bp.invAction = f.Subscription, f.Invoice
	}
	return bp.apply(d)
}

// billingMeta is the account's billing settings in the shape of
// /_emulator/account (and the fixtures file's _meta.account.billing), as a
// state file keeps them.
func billingMeta(d billing.Dunning) *fixtures.BillingMeta {
	typ := "custom"
	if d.Smart {
		typ = "smart"
	}
	m := &fixtures.BillingMeta{}
	m.Retries = &fixtures.RetriesMeta{Type: &typ, Smart: &fixtures.SmartMeta{MaxRetries: &d.MaxRetries, WindowDays: &d.WindowDays},
		Custom: &fixtures.CustomMeta{Days: slices.Clone(d.CustomDays)}}
	m.AfterFinalFailure = &fixtures.FinalMeta{Subscription: &d.SubscriptionAction, Invoice: &d.InvoiceAction}
	return m
}

// renderBillingSettings renders the account's billing settings.
func renderBillingSettings(d billing.Dunning) jsonobj.Obj {
	typ := "custom"
	if d.Smart {
		typ = "smart"
	}
	days := d.CustomDays
	if days == nil {
		days = []int{}
	}
	return jsonobj.Obj{
		{K: "after_final_failure", V: jsonobj.Obj{{K: "invoice", V: d.InvoiceAction}, {K: "subscription", V: d.SubscriptionAction}}},
		{K: "retries", V: jsonobj.Obj{
			{K: "custom", V: jsonobj.Obj{{K: "days", V: days}}},
			{K: "smart", V: jsonobj.Obj{{K: "max_retries", V: d.MaxRetries}, {K: "window_days", V: d.WindowDays}}},
			{K: "type", V: typ},
		}},
	}
}

func health(c *call) (jsonobj.Obj, error) {
	return jsonobj.Obj{{K: "status", V: "ok"}}, nil
}

// reset drops the calling key's account: every object, idempotency key and log.
func reset(c *call) (jsonobj.Obj, error) {
	c.s.accounts.reset(c.acct.key)
	return jsonobj.Obj{{K: "object", V: "emulator.reset"}, {K: "reset", V: true}}, nil
}

func requestLogEntry(c *call) (jsonobj.Obj, error) {
	id := c.pathID()
	if e := c.acct.reqs.get(id); e != nil {
		return e, nil
	}
	return nil, apierr.ResourceMissing("request", "id", id)
}
