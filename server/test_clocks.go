package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// testClock is a stored test clock: customers created on it, and everything
// theirs, live on its frozen time.
type testClock struct {
	store.Meta
	Name         string
	FrozenTime   int64
	DeletesAfter int64
}

// Frozen is the clock's time (billing.ClockView).
func (tc *testClock) Frozen() int64 { return tc.FrozenTime }

// testClockStatus is a test clock's status: ready, or advancing while an
// advance runs (which only its test_helpers.test_clock.advancing event shows:
// an advance finishes within its request).
type testClockStatus string

const (
	testClockReady     testClockStatus = "ready"
	testClockAdvancing testClockStatus = "advancing"
)
const tTestClocks = billing.TableTestClocks

var testClockResource = &resource[*testClock]{
	resourceDesc: resourceDesc{
		name:   "test_helpers.test_clock",
		noun:   "test clock",
		table:  store.Table{Name: tTestClocks},
		codec:  plainCodec[testClock](),
		events: testClockEvents,
		routes: testClockEndpoints,
	},
	render: infallible((*renderCtx).renderTestClock),
}

// testClockEvents: a clock is created and deleted (advancing and ready are
// emitted by the advance itself).
func testClockEvents(m *mutation) (string, store.Record, store.Record) {
	switch {
	case m.before == nil:
		return "test_helpers.test_clock.created", m.after, nil
	case m.after == nil:
		return "test_helpers.test_clock.deleted", m.before, nil
	}
	return "", nil, nil
}

// testClockLifetime is how long a test clock lives (as the docs example shows).
const testClockLifetime = 7 * 24 * 60 * 60

func testClockEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/test_helpers/test_clocks", op: "PostTestHelpersTestClocks", mode: txWrite, h: createTestClock},
		{route: "GET /v1/test_helpers/test_clocks", op: "GetTestHelpersTestClocks", mode: txRead, h: listTestClocks},
		{route: "GET /v1/test_helpers/test_clocks/{test_clock}", op: "GetTestHelpersTestClocksTestClock", mode: txRead, h: retrieveTestClock},
		{route: "DELETE /v1/test_helpers/test_clocks/{test_clock}", op: "DeleteTestHelpersTestClocksTestClock", mode: txWrite, h: deleteTestClock},
		{route: "POST /v1/test_helpers/test_clocks/{test_clock}/advance", op: "PostTestHelpersTestClocksTestClockAdvance", mode: txWrite, h: advanceTestClock},
	}
}

// maxTestClocks is how many test clocks an account holds: 100, the limit
// reported for Stripe's test mode (not in Stripe's reference; see README).
const maxTestClocks = 100

func createTestClock(c *call) (jsonobj.Obj, error) {
	if n, err := c.tx.Count(tTestClocks); err != nil {
		return nil, err
	} else if n >= maxTestClocks {
		return nil, apierr.Limit("You have reached the maximum of %d test clocks on this account. Delete one you no longer need (DELETE /v1/test_helpers/test_clocks/{id}, which deletes its customers too) before you create another.", maxTestClocks)
	}
	tc := &testClock{Meta: c.newMeta("clock")}
	tc.FrozenTime, _ = c.params.Int("frozen_time")
	tc.Name, _ = c.params.String("name")
	if err := checkLength("name", tc.Name, 300); err != nil {
		return nil, err
	}
	tc.DeletesAfter = tc.Created + testClockLifetime
	if err := c.tx.Put(tTestClocks, tc); err != nil {
		return nil, err
	}
	return c.renderTestClock(tc), nil
}

func (c *call) getTestClock(id, param string) (*testClock, error) {
	return getRecord[*testClock](c.tx, tTestClocks, "test clock", id, param)
}

func retrieveTestClock(c *call) (jsonobj.Obj, error) {
	tc, err := c.getTestClock(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderTestClock(tc), nil
}

func listTestClocks(c *call) (jsonobj.Obj, error) {
	return c.list(tTestClocks, "test clock", "/v1/test_helpers/test_clocks", nil, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderTestClock(r.(*testClock)), nil
	})
}

// advanceTestClock moves a clock forward and runs, in order, everything that
// happens on it in between: renewals, invoices, finalizations, payments,
// notices. The work is done when the response is sent: the response says
// "advancing" (as Stripe's does) and the clock reads "ready" from then on.
func advanceTestClock(c *call) (jsonobj.Obj, error) {
	tc, err := c.getTestClock(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	target, _ := c.params.Int("frozen_time")
	if target <= tc.FrozenTime {
		return nil, apierr.Invalid("frozen_time", "The frozen_time (%d) must be after the test clock's current frozen_time (%d): a test clock only moves forward.", target, tc.FrozenTime)
	}
	limit, why, err := billing.AdvanceLimit(&c.u, tc.ID, tc.FrozenTime)
	if err != nil {
		return nil, err
	}
	if target > limit {
		return nil, apierr.Invalid("frozen_time", "Cannot advance the test clock more than %s from its current frozen_time: frozen_time can be at most %d.", why, limit)
	}
	before := c.renderTestClock(tc)
	before.Set("status", string(testClockAdvancing))
	before.Set("status_details", jsonobj.Obj{{K: "advancing", V: jsonobj.Obj{{K: "target_frozen_time", V: target}}}})
	if err := c.emit("test_helpers.test_clock.advancing", c.unix(), sameAtEveryVersion(before)); err != nil {
		return nil, err
	}
	if err := billing.AdvanceClock(&c.u, tc.ID, target); err != nil {
		return nil, err
	}
	n := *tc
	n.FrozenTime = target
	c.u.NextStep()
	if err := c.tx.Put(tTestClocks, &n); err != nil {
		return nil, err
	}
	if err := c.emit("test_helpers.test_clock.ready", c.unix(), sameAtEveryVersion(c.renderTestClock(&n))); err != nil {
		return nil, err
	}
	before.Set("status_details", jsonobj.Obj{{K: "advancing", V: jsonobj.Obj{{K: "target_frozen_time", V: target}}}})
	return before, nil
}

// deleteTestClock deletes a clock with the customers on it and their
// subscriptions, invoices and invoice items.
func deleteTestClock(c *call) (jsonobj.Obj, error) {
	tc, err := c.getTestClock(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if err := billing.DeleteClockObjects(&c.u, tc.ID); err != nil {
		return nil, err
	}
	if err := c.tx.Remove(tTestClocks, tc); err != nil {
		return nil, err
	}
	return jsonobj.Obj{{K: "id", V: tc.ID}, {K: "object", V: "test_helpers.test_clock"}, {K: "deleted", V: true}}, nil
}

func (rc *renderCtx) renderTestClock(tc *testClock) jsonobj.Obj {
	return jsonobj.Obj{
		{K: "id", V: tc.ID},
		{K: "object", V: "test_helpers.test_clock"},
		{K: "created", V: tc.Created},
		{K: "deletes_after", V: tc.DeletesAfter},
		{K: "frozen_time", V: tc.FrozenTime},
		{K: "livemode", V: false},
		{K: "name", V: orNull(tc.Name)},
		{K: "status", V: string(testClockReady)},
		{K: "status_details", V: jsonobj.Obj{}},
	}
}
