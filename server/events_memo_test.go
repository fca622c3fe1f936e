package server

import (
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v79"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
)

// TestRenderingMemoKeepsPriorItemsApart: the unit's memo of renderings
// (changeLog.rendered) shares a record's rendering between the events that
// show it, by record and version; a subscription shown with the items it had
// before a change is rendered afresh, never taken for (nor stored as) its
// rendering with its items now. An event showing the subscription, then one
// whose previous_attributes diff it against its prior items, must see the
// items change, at each version; and after the subscription was rendered
// with its prior items, an event showing it must show its items now.
func TestRenderingMemoKeepsPriorItemsApart(t *testing.T) {
	e := newEnv(t)
	one := licensedPrice(t, e.sc, 1000, "month")
	two := licensedPrice(t, e.sc, 2000, "month")
	cus := newCustomer(t, e.sc)
	created, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), PaymentBehavior: stripe.String("default_incomplete"),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(one.ID)}, {Price: stripe.String(two.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	acct := e.srv.accounts.get(e.key)
	tx := acct.db.Read()
	defer tx.Abort()
	rec, err := tx.Get(billing.TableSubscriptions, created.ID)
	if err != nil || rec == nil {
		t.Fatalf("the subscription: %v %v", rec, err)
	}
	items, err := billing.ItemsOf(tx, created.ID)
	if err != nil || len(items) != 2 {
		t.Fatalf("items: %v %v", items, err)
	}
	cu, err := tx.Get(billing.TableCustomers, cus)
	if err != nil || cu == nil {
		t.Fatalf("the customer: %v %v", cu, err)
	}
	for _, v := range []apiversion.Version{apiversion.Default, apiversion.Latest} {
		l := &changeLog{s: e.srv, acct: acct, rc: &renderCtx{tx: tx, v: apiversion.Default}}
		// The subscription with its prior items rendered first (as the
		// previous of an event about another record): not kept for the
		// subscription as it is.
		l.renderEventAt(&eventRecord{typ: "customer.updated", object: cu, previous: rec, prevItems: items[:1], hasPrev: true}, v, nil)
		shown := &eventRecord{typ: "customer.subscription.created", object: rec}
		if r, _ := l.renderEventAt(shown, v, nil); !strings.Contains(string(r.data), two.ID) {
			t.Fatalf("%s: the subscription shown with its prior items: %s", v, r.data)
		}
		// The subscription as it is rendered first: not taken for its
		// rendering with its prior items.
		before := &eventRecord{typ: "customer.subscription.updated", object: rec, previous: rec, prevItems: items[:1], hasPrev: true}
		r, changed := l.renderEventAt(before, v, nil)
		if !changed || !strings.Contains(string(r.data), `"previous_attributes":{"items":`) {
			t.Errorf("%s: an item added shows no change of items: changed %v, %s", v, changed, r.data)
		}
	}
}
