package server

import (
	"errors"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// Card errors (402 card_error, design-16 §2.3) embed the objects of the
// failed payment in full: the PaymentIntent, the PaymentMethod, the
// SetupIntent. The engine names them by ID; failed renders them from the
// request's transaction before it ends, and commits that transaction first
// for an error with Commit set (a declined confirm keeps its failed attempt,
// design-16 D4), so that what the envelope shows is what was stored.

// failed finishes a request whose handler returned err, inside its
// transaction: the objects a card error names are rendered into it, and an
// error that commits commits the request's changes and events.
func (c *call) failed(err error) error {
	var e *apierr.Error
	if !errors.As(err, &e) {
		return err
	}
	for _, emb := range []struct {
		object string
		into   *apierr.Embedded
	}{{"payment_intent", &e.PaymentIntent}, {"payment_method", &e.PaymentMethod}, {"setup_intent", &e.SetupIntent}} {
		if emb.into.ID == "" || emb.into.JSON != nil || c.tx == nil {
			continue
		}
		res := c.s.reg.byName[emb.object]
		if res == nil || !res.rendered() {
			continue // not served yet: left out
		}
		obj, rerr := res.loadID(&c.renderCtx, emb.into.ID)
		if rerr != nil {
			c.s.log.Error("rendering an object a card error embeds", "object", emb.object, "id", emb.into.ID, "error", rerr.Error())
			continue
		}
		emb.into.JSON = jsonobj.Marshal(obj)
	}
	if e.Commit {
		if cerr := c.commit(); cerr != nil {
			return cerr
		}
	}
	return e
}

// errorMembers is the "error" object of an envelope: Stripe's keys in
// Stripe's order (apierr.Error.Members), embedded objects as their JSON.
func errorMembers(e *apierr.Error, logURL string) jsonobj.Obj {
	members := e.Members(logURL)
	inner := make(jsonobj.Obj, 0, len(members))
	for _, m := range members {
		if m.Raw != nil {
			inner = append(inner, jsonobj.Field{K: m.Key, V: jsonobj.Raw(m.Raw)})
			continue
		}
		inner = append(inner, jsonobj.Field{K: m.Key, V: m.Value})
	}
	return inner
}
