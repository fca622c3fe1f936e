package server

import (
	"fmt"
	"strings"
	"testing"
)

// create_preview's subscription_details[pause] (2026-09-30.endive) is a dry
// run of the pause: the invoice it previews is the one the pause then makes,
// and the preview changes nothing (no event either). The subscription is TestPauseAtEndive's
// (toPause), paused on 15 July.
func TestPausePreviewAtEndive(t *testing.T) {
	const endive = "2026-10-28.endive"
	pausedAt := t0.Unix() + 14*day
	for _, tt := range []struct {
		name, pause string // the pause's parameters, as the endpoint takes them
		total       int64
	}{
		{"usage and unused time", "invoicing_behavior=invoice", 150 - 1700},
		{"usage only", "invoicing_behavior=invoice&bill_for[unused_time_from][type]=none", 150},
		{"credited from the period start", "invoicing_behavior=invoice&bill_for[outstanding_usage_through][type]=none&bill_for[unused_time_from][type]=item_current_period_start", -3100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithCard(t)
			sc := e.clientAt(endive)
			_, cus, sub := toPause(t, sc, pausedAt)

			events := func() any { return e.getAt("/v1/events?expand[]=total_count", "2024-06-20")["total_count"] }
			before := events()
			preview := e.postAt("/v1/invoices/create_preview", "subscription="+sub.ID+"&"+nestParams("subscription_details[pause]", tt.pause), endive, 200).json
			if preview["total"] != float64(tt.total) {
				t.Errorf("previewed total %v, want %d", preview["total"], tt.total)
			}
			if got := e.getAt("/v1/subscriptions/"+sub.ID, endive); got["status"] != "active" || len(pendingAmounts(t, sc, cus)) != 0 || before == nil || events() != before {
				t.Errorf("after the preview: %v, pending %v, events %v then %v", got["status"], pendingAmounts(t, sc, cus), before, events())
			}

			e.postAt("/v1/subscriptions/"+sub.ID+"/pause", tt.pause, endive, 200)
			made := e.getAt("/v1/invoices/"+latestInvoice(t, sc, sub.ID).ID, endive)
			for _, k := range []string{"total", "subtotal", "amount_due", "starting_balance", "billing_reason", "period_start", "period_end", "currency", "subscription"} {
				if fmt.Sprint(preview[k]) != fmt.Sprint(made[k]) {
					t.Errorf("%s: previewed %v, the pause made %v", k, preview[k], made[k])
				}
			}
			if got, want := linesOf(preview), linesOf(made); got != want || !strings.Contains(got, " ") {
				t.Errorf("lines: previewed %s, the pause made %s", got, want)
			}
		})
	}
}

// nestParams puts a form's parameters under a prefix: a=1&b[c]=2 becomes
// p[a]=1&p[b][c]=2.
func nestParams(prefix, body string) string {
	parts := strings.Split(body, "&")
	for i, kv := range parts {
		k, v, _ := strings.Cut(kv, "=")
		name, rest, _ := strings.Cut(k, "[")
		if rest != "" {
			rest = "[" + rest
		}
		parts[i] = prefix + "[" + name + "]" + rest + "=" + v
	}
	return strings.Join(parts, "&")
}

// linesOf is an invoice's line amounts and descriptions (JSON), in order.
func linesOf(inv map[string]any) string {
	var b strings.Builder
	for _, l := range inv["lines"].(map[string]any)["data"].([]any) {
		l := l.(map[string]any)
		fmt.Fprintf(&b, "%v %v; ", l["amount"], l["description"])
	}
	return b.String()
}
