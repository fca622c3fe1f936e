package billing

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// TestMinimumCharge: finalizing a draft applies the customer's balance and
// collects what is due. charge_automatically charges it at once to the
// customer's card (the world's customers have a working one), unless it is
// below Stripe's minimum charge for the currency:
// then nothing is charged, the invoice is paid and the amount is carried to
// the customer's balance for the next invoice. A credit larger than the total
// stays a credit; send_invoice leaves the invoice open until its due date.
// (Amounts as in the HTTP tests: 12 cents carried; 30 owed and 1,000 billed
// charge 1,030.) Each move of the balance is a balance transaction of the
// invoice (ref §3g).
func TestMinimumCharge(t *testing.T) {
	const at = august + 3600
	for _, tc := range []struct {
		name     string
		currency string
		method   string
		balance  int64 // the customer's, before
		subtotal int64
		dueDate  int64 // the draft's
		// what the invoice becomes
		status        InvoiceStatus
		amountPaid    int64
		attempts      int64
		ending        int64 // ending balance, and the customer's balance after
		wantDueDate   int64
		wantAmountDue int64
		// ledger are the balance transactions finalization writes, as
		// type:amount (design-16 §3.8)
		ledger []string
	}{
		{name: "below the minimum: carried", currency: "usd", subtotal: 12, status: InvoicePaid, ending: 12, wantAmountDue: 12,
			ledger: []string{"invoice_too_small:12"}},
		{name: "at the minimum: charged", currency: "usd", subtotal: 50, status: InvoicePaid, amountPaid: 50, attempts: 1, wantAmountDue: 50},
		{name: "a balance owed is charged with the invoice", currency: "usd", balance: 30, subtotal: 1000,
			status: InvoicePaid, amountPaid: 1030, attempts: 1, wantAmountDue: 1030, ledger: []string{"applied_to_invoice:-30"}},
		{name: "a balance owed and the total below the minimum: both carried", currency: "usd", balance: 30, subtotal: 12,
			status: InvoicePaid, ending: 42, wantAmountDue: 42, ledger: []string{"applied_to_invoice:-30", "invoice_too_small:42"}},
		{name: "a credit pays part", currency: "usd", balance: -300, subtotal: 1000, status: InvoicePaid, amountPaid: 700, attempts: 1, wantAmountDue: 700,
			ledger: []string{"applied_to_invoice:300"}},
		{name: "a credit larger than the total stays a credit", currency: "usd", balance: -2000, subtotal: 1000,
			status: InvoicePaid, ending: -1000, ledger: []string{"applied_to_invoice:1000"}},
		{name: "nothing to pay", currency: "usd", subtotal: 0, status: InvoicePaid},
		{name: "zero-decimal currency below its minimum", currency: "jpy", subtotal: 49, status: InvoicePaid, ending: 49, wantAmountDue: 49,
			ledger: []string{"invoice_too_small:49"}},
		{name: "zero-decimal currency at its minimum", currency: "jpy", subtotal: 50, status: InvoicePaid, amountPaid: 50, attempts: 1, wantAmountDue: 50},
		{name: "three-decimal currency below the default minimum", currency: "kwd", subtotal: 49, status: InvoicePaid, ending: 49, wantAmountDue: 49,
			ledger: []string{"invoice_too_small:49"}},
		{name: "three-decimal currency at the default minimum", currency: "kwd", subtotal: 50, status: InvoicePaid, amountPaid: 50, attempts: 1, wantAmountDue: 50},
		{name: "a currency's own minimum (gbp 30)", currency: "gbp", subtotal: 30, status: InvoicePaid, amountPaid: 30, attempts: 1, wantAmountDue: 30},
		{name: "send_invoice: open, due in 30 days", currency: "usd", method: "send_invoice", subtotal: 12,
			status: InvoiceOpen, wantDueDate: at + 30*86400, wantAmountDue: 12},
		{name: "send_invoice: its own due date kept", currency: "usd", method: "send_invoice", subtotal: 1000, dueDate: at + 86400,
			status: InvoiceOpen, wantDueDate: at + 86400, wantAmountDue: 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			cu := w.customer("", july)
			cu.Balance, cu.Currency = tc.balance, tc.currency
			w.put(TableCustomers, cu)
			method := tc.method
			if method == "" {
				method = "charge_automatically"
			}
			draft := &Invoice{Meta: w.meta("in", august), Customer: cu.ID, Status: InvoiceDraft, BillingReason: "manual",
				CollectionMethod: method, Currency: tc.currency, StartingBalance: tc.balance, DueDate: tc.dueDate, AutoAdvance: true,
				FinalizesAt: at, Metadata: map[string]string{},
				Lines: []Line{{ID: "il_1", Type: "invoiceitem", Amount: tc.subtotal, Currency: tc.currency, Metadata: map[string]string{}}}}
			w.put(TableInvoices, draft)
			u := w.unit(at)
			inv, err := finalizeInvoice(u, draft, at)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Status != tc.status || inv.Paid != (tc.status == InvoicePaid) || inv.AmountPaid != tc.amountPaid || inv.AttemptCount != tc.attempts || inv.Attempted != (tc.attempts > 0) {
				t.Errorf("status %s, paid %v, amount_paid %d, attempts %d (attempted %v); want %s, paid %v, %d, %d",
					inv.Status, inv.Paid, inv.AmountPaid, inv.AttemptCount, inv.Attempted, tc.status, tc.status == InvoicePaid, tc.amountPaid, tc.attempts)
			}
			if inv.EndingBalance == nil || *inv.EndingBalance != tc.ending || inv.StartingBalance != tc.balance {
				t.Errorf("starting balance %d, ending %v; want %d, %d", inv.StartingBalance, inv.EndingBalance, tc.balance, tc.ending)
			}
			if got := inv.AmountDue(); got != tc.wantAmountDue {
				t.Errorf("amount_due %d, want %d", got, tc.wantAmountDue)
			}
			if inv.DueDate != tc.wantDueDate {
				t.Errorf("due date %d, want %d", inv.DueDate, tc.wantDueDate)
			}
			if inv.Number != "TEST-0001" || inv.FinalizedAt != at || inv.EffectiveAt != at || inv.FinalizesAt != 0 {
				t.Errorf("number %q, finalized_at %d, effective_at %d, finalizes_at %d", inv.Number, inv.FinalizedAt, inv.EffectiveAt, inv.FinalizesAt)
			}
			if paid := tc.status == InvoicePaid; paid != (inv.PaidAt == at) {
				t.Errorf("paid_at %d", inv.PaidAt)
			}
			after, err := GetCustomer(u.Tx(), cu.ID, "customer", false)
			if err != nil {
				t.Fatal(err)
			}
			if after.Balance != tc.ending || after.NextInvoiceSequence != 2 {
				t.Errorf("the customer's balance %d, next sequence %d; want %d, 2", after.Balance, after.NextInvoiceSequence, tc.ending)
			}
			txns, err := u.Tx().Find(TableBalanceTransactions, "customer", cu.ID)
			if err != nil {
				t.Fatal(err)
			}
			store.SortByCreation(txns)
			var ledger []string
			end := tc.balance
			for _, r := range txns {
				bt := r.(*BalanceTransaction)
				end += bt.Amount
				ledger = append(ledger, fmt.Sprintf("%s:%d", bt.Type, bt.Amount))
				if bt.Invoice != inv.ID || bt.EndingBalance != end || bt.Metadata != nil {
					t.Errorf("%s: invoice %q, ending %d (want %d), metadata %v", bt.Type, bt.Invoice, bt.EndingBalance, end, bt.Metadata)
				}
			}
			if !slices.Equal(ledger, tc.ledger) {
				t.Errorf("ledger %v, want %v", ledger, tc.ledger)
			}
			stored, err := GetInvoice(u.Tx(), draft.ID, "id")
			if err != nil || stored != inv {
				t.Errorf("the invoice stored is %p (%v), not the one returned (%p)", stored, err, inv)
			}
			if draft.Status != InvoiceDraft {
				t.Error("the draft given was changed, not copied")
			}
		})
	}
}

// TestFinalizeDeletedCustomer: a deleted customer's invoice gets no number,
// and the tombstone keeps no balance.
func TestFinalizeDeletedCustomer(t *testing.T) {
	w := newWorld(t)
	cu := w.customer("", july)
	cu.Deleted = true
	w.put(TableCustomers, cu)
	draft := &Invoice{Meta: w.meta("in", august), Customer: cu.ID, Status: InvoiceDraft, CollectionMethod: "charge_automatically",
		Currency: "usd", Lines: []Line{{ID: "il_1", Type: "invoiceitem", Amount: 12}}}
	w.put(TableInvoices, draft)
	u := w.unit(august)
	inv, err := finalizeInvoice(u, draft, august)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Number != "" || inv.Status != InvoicePaid {
		t.Errorf("number %q, status %s", inv.Number, inv.Status)
	}
	for _, ch := range w.sink.changes {
		if ch.table == TableCustomers {
			t.Errorf("the deleted customer was stored again: %+v", ch.after)
		}
	}
}

// TestPaidBringsBackPastDue: a past_due subscription whose latest invoice is
// paid is active again; one whose latest invoice is another stays past_due.
func TestPaidBringsBackPastDue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		latest bool
		want   SubscriptionStatus
	}{
		{"its latest invoice", true, SubscriptionActive},
		{"an older invoice", false, SubscriptionPastDue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			cu := w.customer("", july)
			prod := w.product("Basic", "")
			sub, _ := w.subscription(cu, july, w.price(prod.ID, "usd", func(pr *Price) {
				pr.UnitAmount = dec("3100")
				pr.Recurring = &Recurring{Interval: "month", IntervalCount: 1, UsageType: "licensed"}
			}))
			open := &Invoice{Meta: w.meta("in", july), Customer: cu.ID, Subscription: sub.ID, Status: InvoiceOpen, CollectionMethod: "send_invoice",
				Currency: "usd", Lines: []Line{{ID: "il_1", Amount: 3100}}}
			w.put(TableInvoices, open)
			sub.Status, sub.LatestInvoice = SubscriptionPastDue, "in_other"
			if tc.latest {
				sub.LatestInvoice = open.ID
			}
			w.put(TableSubscriptions, sub)
			u := w.unit(august)
			if _, err := Pay(u, open.ID, PayRequest{}); err != nil {
				t.Fatal(err)
			}
			got, err := GetSubscription(u.Tx(), sub.ID, "id")
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want {
				t.Errorf("status %s, want %s", got.Status, tc.want)
			}
		})
	}
}
