package billing

import (
	"errors"
	"slices"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// apiParam is the param of a Stripe error ("" for another error).
func apiParam(err error) string {
	var e *apierr.Error
	if !errors.As(err, &e) {
		return ""
	}
	return e.Param
}

// paymentMethodIn stores a payment method of the catalogue's card, attached
// to the customer, in the open unit of work.
func (w *world) paymentMethodIn(u *Unit, card, customer string) *PaymentMethod {
	w.t.Helper()
	pm := &PaymentMethod{Meta: w.meta("pm", august), Customer: customer, Card: card, ExpMonth: 12, ExpYear: 2030, CVCGiven: true, Verified: true,
		AllowRedisplay: "unspecified", Metadata: map[string]string{}}
	if err := u.Tx().Put(TablePaymentMethods, pm); err != nil {
		w.t.Fatal(err)
	}
	return pm
}

// TestRetrySchedule: Smart Retries' model (retry k at the first failure +
// ceil(k·window/retries) days; the emulator's choice, design-16 D7) and a
// custom schedule (days after the attempt before).
func TestRetrySchedule(t *testing.T) {
	const first, day = int64(1_000_000), int64(86400)
	for _, tc := range []struct {
		name string
		d    Dunning
		want []int64 // days after the first failure, when each attempt before it is at its due time
	}{
		{"the default: 8 within 14 days", DefaultDunning(), []int64{2, 4, 6, 7, 9, 11, 13, 14}},
		{"4 within a week", Dunning{Smart: true, MaxRetries: 4, WindowDays: 7}, []int64{2, 4, 6, 7}},
		{"1 within 60 days", Dunning{Smart: true, MaxRetries: 1, WindowDays: 60}, []int64{60}},
		{"custom 1, 3, 5", Dunning{CustomDays: []int{1, 3, 5}}, []int64{1, 4, 9}},
		{"custom 7", Dunning{CustomDays: []int{7}}, []int64{7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int64
			last := first
			for k := 1; k <= tc.d.retries(); k++ {
				last = tc.d.retryAt(k, first, last)
				got = append(got, (last-first)/day)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("retries at %v days, want %v", got, tc.want)
			}
		})
	}
}

// TestDunningChecks: the settings Stripe's Dashboard offers, and the
// parameter each refusal names.
func TestDunningChecks(t *testing.T) {
	ok := DefaultDunning()
	for _, tc := range []struct {
		name  string
		edit  func(*Dunning)
		param string // "" valid
	}{
		{"the default", func(*Dunning) {}, ""},
		{"custom 1, 3, 5", func(d *Dunning) { d.Smart = false }, ""},
		{"9 smart retries", func(d *Dunning) { d.MaxRetries = 9 }, "billing[retries][smart][max_retries]"},
		{"a 10-day window", func(d *Dunning) { d.WindowDays = 10 }, "billing[retries][smart][window_days]"},
		{"four custom retries", func(d *Dunning) { d.Smart, d.CustomDays = false, []int{1, 1, 1, 1} }, "billing[retries][custom][days]"},
		{"a custom retry after 2 days", func(d *Dunning) { d.Smart, d.CustomDays = false, []int{2} }, "billing[retries][custom][days]"},
		{"another subscription action", func(d *Dunning) { d.SubscriptionAction = "pause" }, "billing[after_final_failure][subscription]"},
		{"another invoice action", func(d *Dunning) { d.InvoiceAction = "void" }, "billing[after_final_failure][invoice]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ok
			d.CustomDays = slices.Clone(ok.CustomDays)
			tc.edit(&d)
			err := d.Check("billing")
			if tc.param == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || apiParam(err) != tc.param {
				t.Errorf("got %v, want an error naming %s", err, tc.param)
			}
		})
	}
}

// failingRenewal stores a customer whose default card is the catalogue's
// key, a monthly $31 subscription and its renewal invoice (a draft to
// finalize at august), and answers the world, the subscription and the
// draft.
func failingRenewal(t *testing.T, card string) (*world, *Subscription, *Invoice) {
	w := newWorld(t)
	cu := w.customerWithoutCard("", july)
	w.card(cu, card, true)
	prod := w.product("Basic", "")
	sub, _ := w.subscription(cu, july, w.price(prod.ID, "usd", func(pr *Price) {
		pr.UnitAmount = dec("3100")
		pr.Recurring = &Recurring{Interval: "month", IntervalCount: 1, UsageType: "licensed"}
	}))
	draft := &Invoice{Meta: w.meta("in", august), Customer: cu.ID, Subscription: sub.ID, Status: InvoiceDraft, BillingReason: "subscription_cycle",
		CollectionMethod: "charge_automatically", Currency: "usd", AutoAdvance: true, Metadata: map[string]string{},
		Lines: []Line{{ID: "il_1", Type: "subscription", Amount: 3100, Currency: "usd", Metadata: map[string]string{}}}}
	w.put(TableInvoices, draft)
	sub.LatestInvoice = draft.ID
	w.put(TableSubscriptions, sub)
	return w, sub, draft
}

// TestRetriesAndDunning: a renewal whose card declines (ref §3d): the
// finalization's attempt fails (attempt_count 1, past_due,
// next_payment_attempt the first retry), each retry at its time fails and
// counts, and after the last the settings' final actions apply; a card
// fixed before a retry pays the invoice and brings the subscription back.
func TestRetriesAndDunning(t *testing.T) {
	const day = int64(86400)
	for _, tc := range []struct {
		name     string
		card     string
		settings func(*Dunning)
		fixAfter int // retries after which the customer's default becomes a working card (0: never)
		// after the last retry (or the payment)
		attempts  int64
		sub       SubscriptionStatus
		invoice   InvoiceStatus
		autoAdv   bool
		cancelled string // the subscription's cancellation reason
		charges   int    // charges made
	}{
		{name: "default settings: canceled after 8 retries", card: "chargeCustomerFail", attempts: 9,
			sub: SubscriptionCanceled, invoice: InvoiceOpen, cancelled: "payment_failed", charges: 9},
		{name: "mark unpaid and uncollectible", card: "chargeCustomerFail",
			settings: func(d *Dunning) { d.SubscriptionAction, d.InvoiceAction = DunningMarkUnpaid, DunningMarkUncollectible },
			attempts: 9, sub: SubscriptionUnpaid, invoice: InvoiceUncollectible, autoAdv: true, charges: 9},
		{name: "leave past_due, custom 1 and 3 days", card: "chargeCustomerFail",
			settings: func(d *Dunning) {
				d.Smart, d.CustomDays, d.SubscriptionAction = false, []int{1, 3}, DunningLeavePastDue
			},
			attempts: 3, sub: SubscriptionPastDue, invoice: InvoiceOpen, autoAdv: true, charges: 3},
		{name: "a hard decline is counted, not retried", card: "chargeCustomerFailLostCard", attempts: 9,
			sub: SubscriptionCanceled, invoice: InvoiceOpen, cancelled: "payment_failed", charges: 1},
		{name: "a card fixed before the third retry pays", card: "chargeCustomerFail", fixAfter: 2,
			attempts: 4, sub: SubscriptionActive, invoice: InvoicePaid, autoAdv: true, charges: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, sub, draft := failingRenewal(t, tc.card)
			d := DefaultDunning()
			if tc.settings != nil {
				tc.settings(&d)
			}
			u := w.unit(august)
			u.SetDunning(d)
			inv, err := finalizeInvoice(u, draft, august)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Status != InvoiceOpen || inv.AttemptCount != 1 || inv.FailedAttempts != 1 || inv.NextPaymentAttempt != d.retryAt(1, august, august) {
				t.Fatalf("after the first attempt: %s, attempts %d, failed %d, next %d", inv.Status, inv.AttemptCount, inv.FailedAttempts, inv.NextPaymentAttempt)
			}
			if got, _ := GetSubscription(u.Tx(), sub.ID, "id"); got.Status != SubscriptionPastDue {
				t.Fatalf("after the first attempt the subscription is %s", got.Status)
			}
			last := august
			for k := 1; inv.NextPaymentAttempt != 0; k++ {
				if want := d.retryAt(k, august, last); inv.NextPaymentAttempt != want {
					t.Fatalf("retry %d due at +%d days, want +%d", k, (inv.NextPaymentAttempt-august)/day, (want-august)/day)
				}
				last = inv.NextPaymentAttempt
				if tc.fixAfter != 0 && k == tc.fixAfter+1 {
					cu, _ := GetCustomer(u.Tx(), inv.Customer, "customer", false)
					pm := w.paymentMethodIn(u, "visa", cu.ID)
					n := cu.Clone()
					n.DefaultPaymentMethod = pm.ID
					if err := u.Tx().Put(TableCustomers, n); err != nil {
						t.Fatal(err)
					}
				}
				u.startDue("") // the retry is due work of the emulator's clock, at its time
				u.dueStep(last)
				u.endDue()
				if inv, err = retryInvoice(u, inv, last); err != nil {
					t.Fatal(err)
				}
			}
			inv, _ = GetInvoice(u.Tx(), inv.ID, "id")
			got, _ := GetSubscription(u.Tx(), sub.ID, "id")
			if inv.AttemptCount != tc.attempts || inv.Status != tc.invoice || inv.AutoAdvance != tc.autoAdv || inv.NextPaymentAttempt != 0 {
				t.Errorf("invoice: attempts %d, %s, auto_advance %v, next %d; want %d, %s, %v, 0", inv.AttemptCount, inv.Status, inv.AutoAdvance,
					inv.NextPaymentAttempt, tc.attempts, tc.invoice, tc.autoAdv)
			}
			if got.Status != tc.sub || got.CancelReason != tc.cancelled || (tc.sub == SubscriptionCanceled) != (got.EndedAt == last) {
				t.Errorf("subscription %s (%q, ended %d); want %s (%q, ended at %d)", got.Status, got.CancelReason, got.EndedAt, tc.sub, tc.cancelled, last)
			}
			charges, err := u.Tx().Find(TableCharges, "customer", inv.Customer)
			if err != nil || len(charges) != tc.charges {
				t.Errorf("%d charges (%v), want %d", len(charges), err, tc.charges)
			}
		})
	}
}
