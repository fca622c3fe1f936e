package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
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
