package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
)

// TestCustomerBalanceTransactions: each transaction moves the customer's
// balance by its amount (negative: a credit), and its ending_balance is the
// balance after it (ref §2.7); the first gives a customer without a currency
// its own, a second currency is refused; the customer's customer.updated
// shows the move (there is no event of the transaction's own); only the
// description and metadata change; the list is the customer's, newest first.
func TestCustomerBalanceTransactions(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	credit, err := e.sc.CustomerBalanceTransactions.New(&stripe.CustomerBalanceTransactionParams{Customer: stripe.String(cus),
		Amount: stripe.Int64(-500), Currency: stripe.String("usd"), Description: stripe.String("Goodwill")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(credit.ID, "cbtxn_") || credit.Amount != -500 || credit.EndingBalance != -500 || credit.Type != "adjustment" ||
		credit.Currency != "usd" || credit.Customer.ID != cus || credit.Description != "Goodwill" || credit.Invoice != nil || credit.Metadata == nil {
		t.Fatalf("credit: %+v", credit)
	}
	c, err := e.sc.Customers.Get(cus, nil)
	if err != nil || c.Balance != -500 || c.Currency != "usd" {
		t.Fatalf("customer balance %d %s %v", c.Balance, c.Currency, err)
	}
	debit, err := e.sc.CustomerBalanceTransactions.New(&stripe.CustomerBalanceTransactionParams{Customer: stripe.String(cus),
		Amount: stripe.Int64(200), Currency: stripe.String("usd"), Metadata: map[string]string{"why": "fee"}})
	if err != nil {
		t.Fatal(err)
	}
	if debit.EndingBalance != -300 || debit.Metadata["why"] != "fee" {
		t.Errorf("debit: %+v", debit)
	}
	r := e.do("GET", "/v1/customers/"+cus+"/balance_transactions/"+debit.ID, "")
	checkShape(t, "customer_balance_transaction", r.body)
	if got := eventTypesOf(t, e, cus); strings.Join(got, ",") != "customer.created,customer.updated,customer.updated" {
		t.Errorf("customer events %v", got)
	}
	if ev := lastEvent(t, e, "customer.updated"); ev.Data.PreviousAttributes["balance"] != float64(-500) || ev.Data.Object["balance"] != float64(-300) {
		t.Errorf("customer.updated: %v", ev.Data.PreviousAttributes)
	}
	if got := eventTypesOf(t, e, debit.ID); len(got) != 0 {
		t.Errorf("events of the transaction: %v", got)
	}

	// Refused: nothing moves.
	for _, tc := range []struct {
		body, param, code string
		status            int
	}{
		{"amount=100&currency=eur", "currency", "parameter_invalid", 400},
		{"amount=0&currency=usd", "amount", "parameter_invalid", 400},
		{"amount=100&currency=xyz", "currency", "parameter_invalid", 400},
		{"currency=usd", "amount", "parameter_missing", 400},
		{"amount=100", "currency", "parameter_missing", 400},
		{"amount=-99999999999999&currency=usd", "amount", "parameter_invalid", 400},
	} {
		r := e.do("POST", "/v1/customers/"+cus+"/balance_transactions", tc.body)
		if r.status != tc.status || r.errField("param") != tc.param || r.errField("code") != tc.code {
			t.Errorf("%s: %d %s", tc.body, r.status, r.body)
		}
	}
	if r := e.do("POST", "/v1/customers/cus_nope/balance_transactions", "amount=1&currency=usd"); r.status != 404 {
		t.Errorf("a missing customer: %d %s", r.status, r.body)
	}
	if c, _ := e.sc.Customers.Get(cus, nil); c.Balance != -300 {
		t.Errorf("refused transactions moved the balance to %d", c.Balance)
	}

	// Retrieve and update: the customer's own, description and metadata only.
	got, err := e.sc.CustomerBalanceTransactions.Get(credit.ID, &stripe.CustomerBalanceTransactionParams{Customer: stripe.String(cus)})
	if err != nil || got.ID != credit.ID || got.EndingBalance != -500 {
		t.Errorf("retrieved %+v %v", got, err)
	}
	other := newCustomer(t, e.sc)
	_, err = e.sc.CustomerBalanceTransactions.Get(credit.ID, &stripe.CustomerBalanceTransactionParams{Customer: stripe.String(other)})
	if se := wantErr(t, err, 404, "resource_missing", "id"); se.Msg != "No such customer balance transaction: '"+credit.ID+"'" {
		t.Errorf("message %q", se.Msg)
	}
	up, err := e.sc.CustomerBalanceTransactions.Update(credit.ID, &stripe.CustomerBalanceTransactionParams{Customer: stripe.String(cus),
		Description: stripe.String("Apology"), Metadata: map[string]string{"k": "v"}})
	if err != nil || up.Description != "Apology" || up.Metadata["k"] != "v" || up.Amount != -500 || up.EndingBalance != -500 {
		t.Errorf("updated %+v %v", up, err)
	}
	if r := e.do("POST", "/v1/customers/"+cus+"/balance_transactions/"+credit.ID, "amount=1"); r.status != 400 || r.errField("param") != "amount" {
		t.Errorf("amount on update: %d %s", r.status, r.body)
	}
	it := e.sc.CustomerBalanceTransactions.List(&stripe.CustomerBalanceTransactionListParams{Customer: stripe.String(cus)})
	var ids []string
	for it.Next() {
		ids = append(ids, it.CustomerBalanceTransaction().ID)
	}
	if it.Err() != nil || strings.Join(ids, ",") != debit.ID+","+credit.ID {
		t.Errorf("list %v %v", ids, it.Err())
	}
	if r := e.do("GET", "/v1/customers/"+other+"/balance_transactions", ""); r.status != 200 || len(r.json["data"].([]any)) != 0 ||
		r.json["url"] != "/v1/customers/"+other+"/balance_transactions" {
		t.Errorf("another customer's: %s", r.body)
	}
}

// TestBalanceSetOnCustomer: a balance set through the customer endpoints
// is a transaction too [I]: initial on create, adjustment of the difference
// on update, in the customer's currency (usd while they have none, which
// gives them none); the emulator's own transactions render metadata null.
// Transactions of a customer on a test clock are created on its time.
func TestBalanceSetOnCustomer(t *testing.T) {
	e := newEnv(t)
	c, err := e.sc.Customers.New(&stripe.CustomerParams{Balance: stripe.Int64(700)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sc.Customers.Update(c.ID, &stripe.CustomerParams{Balance: stripe.Int64(250)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sc.Customers.Update(c.ID, &stripe.CustomerParams{Balance: stripe.Int64(250), Name: stripe.String("Same balance")}); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/v1/customers/"+c.ID+"/balance_transactions", "")
	data := r.json["data"].([]any)
	if len(data) != 2 {
		t.Fatalf("%d transactions: %s", len(data), r.body)
	}
	adj, initial := data[0].(map[string]any), data[1].(map[string]any)
	if initial["type"] != "initial" || initial["amount"] != float64(700) || initial["ending_balance"] != float64(700) || initial["currency"] != "usd" || initial["metadata"] != nil {
		t.Errorf("initial %v", initial)
	}
	if adj["type"] != "adjustment" || adj["amount"] != float64(-450) || adj["ending_balance"] != float64(250) {
		t.Errorf("adjustment %v", adj)
	}
	if cu, _ := e.sc.Customers.Get(c.ID, nil); cu.Balance != 250 || cu.Currency != "" {
		t.Errorf("customer %d %q", cu.Balance, cu.Currency)
	}

	clk, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Add(-48 * time.Hour).Unix())})
	if err != nil {
		t.Fatal(err)
	}
	onClock, err := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clk.ID)})
	if err != nil {
		t.Fatal(err)
	}
	txn, err := e.sc.CustomerBalanceTransactions.New(&stripe.CustomerBalanceTransactionParams{Customer: stripe.String(onClock.ID),
		Amount: stripe.Int64(-100), Currency: stripe.String("eur")})
	if err != nil {
		t.Fatal(err)
	}
	if txn.Created != clk.FrozenTime {
		t.Errorf("created %d, the clock is at %d", txn.Created, clk.FrozenTime)
	}
}

// TestVoidGivesTheBalanceBack: an invoice that took part of a credit at its
// finalization (applied_to_invoice) and is then voided gives it back
// (unapplied_from_invoice, ref §3g; the sign is the emulator's [I]): the
// customer's credit is as before, and the ledger shows both moves.
func TestVoidGivesTheBalanceBack(t *testing.T) {
	e := newEnv(t)
	cu := cardCustomer(t, e.sc, "pm_card_chargeCustomerFail")
	if _, err := e.sc.CustomerBalanceTransactions.New(&stripe.CustomerBalanceTransactionParams{Customer: stripe.String(cu.ID),
		Amount: stripe.Int64(-300), Currency: stripe.String("usd")}); err != nil {
		t.Fatal(err)
	}
	price := licensedPrice(t, e.sc, 1000, "month")
	sub := subscribe(t, e.sc, cu.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	inv, err := e.sc.Invoices.Get(sub.LatestInvoice.ID, nil)
	if err != nil || inv.Status != "open" || inv.StartingBalance != -300 || inv.AmountDue != 700 {
		t.Fatalf("the declined first invoice: %v %v", inv, err)
	}
	if c, err := e.sc.Customers.Get(cu.ID, nil); err != nil || c.Balance != 0 {
		t.Fatalf("after the finalization: %v %v", c, err)
	}
	if _, err := e.sc.Invoices.VoidInvoice(inv.ID, nil); err != nil {
		t.Fatal(err)
	}
	if c, err := e.sc.Customers.Get(cu.ID, nil); err != nil || c.Balance != -300 {
		t.Fatalf("after the void: %v %v", c, err)
	}
	var ledger []string
	for it := e.sc.CustomerBalanceTransactions.List(&stripe.CustomerBalanceTransactionListParams{Customer: stripe.String(cu.ID)}); it.Next(); {
		bt := it.CustomerBalanceTransaction()
		inv := ""
		if bt.Invoice != nil {
			inv = bt.Invoice.ID
		}
		ledger = append(ledger, fmt.Sprintf("%s %d %d %s", bt.Type, bt.Amount, bt.EndingBalance, inv))
	}
	want := []string{"unapplied_from_invoice -300 -300 " + inv.ID, "applied_to_invoice 300 0 " + inv.ID, "adjustment -300 -300 "}
	if !slices.Equal(ledger, want) {
		t.Errorf("ledger\n%v, want\n%v", ledger, want)
	}
}
