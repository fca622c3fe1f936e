package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
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
			schema: form.Object(map[string]*form.Schema{"default_api_version": form.String()})},
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
	return emulatorAccount(c)
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
