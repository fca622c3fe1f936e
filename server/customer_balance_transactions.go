package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Customer balance transactions (ref §2.7): the ledger of a customer's
// balance, written through billing.ChangeBalance. The API creates
// adjustments; a balance set on the customer writes one too. Stripe sends no
// event of their own (there is no customer_balance_transaction.* event type):
// the customer's customer.updated shows the balance moving.

const tBalanceTransactions = billing.TableBalanceTransactions

var balanceTransactionResource = &resource[*billing.BalanceTransaction]{
	resourceDesc: resourceDesc{
		name:   "customer_balance_transaction",
		noun:   "customer balance transaction",
		table:  billing.Table(tBalanceTransactions),
		codec:  plainCodec[billing.BalanceTransaction](),
		expand: map[string]string{"customer": "customer", "invoice": "invoice", "credit_note": "credit_note"},
		routes: balanceTransactionEndpoints,
		shape:  balanceTransactionShape,
	},
	render: infallible((*renderCtx).renderBalanceTransaction),
}

func balanceTransactionEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/customers/{customer}/balance_transactions", op: "PostCustomersCustomerBalanceTransactions", mode: txWrite, h: createBalanceTransaction},
		{route: "GET /v1/customers/{customer}/balance_transactions/{transaction}", op: "GetCustomersCustomerBalanceTransactionsTransaction", mode: txRead,
			h: retrieveBalanceTransaction},
		{route: "POST /v1/customers/{customer}/balance_transactions/{transaction}", op: "PostCustomersCustomerBalanceTransactionsTransaction", mode: txWrite,
			h: updateBalanceTransaction},
		{route: "GET /v1/customers/{customer}/balance_transactions", op: "GetCustomersCustomerBalanceTransactions", mode: txRead, h: listBalanceTransactions},
	}
}

// createBalanceTransaction is POST /v1/customers/{id}/balance_transactions:
// an adjustment of amount (negative: a credit) in currency, which gives the
// customer that currency if they have none and must be theirs otherwise.
func createBalanceTransaction(c *call) (jsonobj.Obj, error) {
	p := c.params
	cu, err := c.getCustomer(c.vars["customer"], "id", false)
	if err != nil {
		return nil, err
	}
	amount, _ := p.Int("amount")
	if err := billing.CheckAmount("amount", amount); err != nil {
		return nil, err
	}
	if amount == 0 {
		return nil, apierr.Invalid("amount", "The amount of a customer balance transaction must not be zero.")
	}
	currency, _ := p.String("currency")
	if !calc.IsCurrency(currency) {
		return nil, apierr.Invalid("currency", "Invalid currency: %s.", apierr.Clip(currency, 20))
	}
	ch := billing.BalanceChange{Amount: amount, Currency: currency, Type: billing.BalanceAdjustment, SetCurrency: true}
	ch.Description, _ = p.String("description")
	if err := maxLen(p, "description", ch.Description, maxLenFor["description"]); err != nil {
		return nil, err
	}
	if ch.Metadata, err = metadata.Apply(map[string]string{}, decodeMetadata(p, "metadata")); err != nil {
		return nil, err
	}
	txn, _, err := billing.ChangeBalance(&c.u, cu, ch, "amount", "currency")
	if err != nil {
		return nil, err
	}
	return c.answer(txn, c.renderBalanceTransaction(txn)), nil
}

// ledgerBalanceSet writes the balance transaction of a customer's balance
// set through the customer endpoints (cu as stored, the balance before it
// prevBalance) [I]: initial on create, adjustment on update; in the
// customer's currency, else usd without giving them one (Stripe's choice is
// not known). It answers the customer as stored.
func (c *call) ledgerBalanceSet(cu *billing.Customer, prevBalance int64, creating bool) (*billing.Customer, error) {
	if cu.Balance == prevBalance {
		return cu, nil
	}
	typ := billing.BalanceAdjustment
	if creating {
		typ = billing.BalanceInitial
	}
	currency := cu.Currency
	if currency == "" {
		currency = "usd"
	}
	base := cu.Clone()
	base.Balance = prevBalance
	_, n, err := billing.ChangeBalance(&c.u, base, billing.BalanceChange{Amount: cu.Balance - prevBalance, Currency: currency, Type: typ}, "balance", "balance")
	return n, err
}

// balanceTransaction is one of the customer's transactions, named in the path.
func (c *call) balanceTransaction() (*billing.BalanceTransaction, error) {
	cu, err := c.getCustomer(c.vars["customer"], "id", false)
	if err != nil {
		return nil, err
	}
	id := c.vars["transaction"]
	txn, err := getRecord[*billing.BalanceTransaction](c.tx, tBalanceTransactions, "customer balance transaction", id, "id")
	if err != nil {
		return nil, err
	}
	if txn.Customer != cu.ID {
		return nil, apierr.ResourceMissing("customer balance transaction", "id", id)
	}
	return txn, nil
}

func retrieveBalanceTransaction(c *call) (jsonobj.Obj, error) {
	txn, err := c.balanceTransaction()
	if err != nil {
		return nil, err
	}
	return c.renderBalanceTransaction(txn), nil
}

// updateBalanceTransaction is POST …/balance_transactions/{id}: its
// description and metadata, the only fields that change.
func updateBalanceTransaction(c *call) (jsonobj.Obj, error) {
	cur, err := c.balanceTransaction()
	if err != nil {
		return nil, err
	}
	p := c.params
	txn := cur.Clone()
	if p.IsEmpty("description") {
		txn.Description = ""
	} else if v, ok := p.String("description"); ok {
		if err := maxLen(p, "description", v, maxLenFor["description"]); err != nil {
			return nil, err
		}
		txn.Description = v
	}
	if p.Has("metadata") {
		if txn.Metadata, err = metadata.Apply(metadataOf(txn.Metadata), decodeMetadata(p, "metadata")); err != nil {
			return nil, err
		}
	}
	if err := c.tx.Put(tBalanceTransactions, txn); err != nil {
		return nil, err
	}
	return c.renderBalanceTransaction(txn), nil
}

// listBalanceTransactions is GET …/balance_transactions: the customer's,
// newest first.
func listBalanceTransactions(c *call) (jsonobj.Obj, error) {
	cu, err := c.getCustomer(c.vars["customer"], "id", false)
	if err != nil {
		return nil, err
	}
	return c.list(tBalanceTransactions, "customer balance transaction", "/v1/customers/"+cu.ID+"/balance_transactions",
		func(r store.Record) bool { return r.(*billing.BalanceTransaction).Customer == cu.ID },
		func(r store.Record) (jsonobj.Obj, error) {
			return c.renderBalanceTransaction(r.(*billing.BalanceTransaction)), nil
		})
}

func (rc *renderCtx) renderBalanceTransaction(t *billing.BalanceTransaction) jsonobj.Obj {
	return balanceTransactionShape.render(rc, t)
}

// cbtxnField is a field of the customer_balance_transaction object.
type cbtxnField = field[*billing.BalanceTransaction]

// cbtxnGet is a getter of the balance transaction itself.
func cbtxnGet(f func(t *billing.BalanceTransaction) any) func(*renderCtx, *billing.BalanceTransaction) any {
	return func(_ *renderCtx, t *billing.BalanceTransaction) any { return f(t) }
}

// balanceTransactionShape is the customer balance transaction at every API
// version.
var balanceTransactionShape = newShape("customer_balance_transaction", []cbtxnField{
	{name: "id", get: cbtxnGet(func(t *billing.BalanceTransaction) any { return t.ID })},
	{name: "object", fixed: always("customer_balance_transaction")},
	{name: "amount", get: cbtxnGet(func(t *billing.BalanceTransaction) any { return t.Amount })},
	{name: "checkout_session", fixed: fixedNull},
	{name: "created", get: cbtxnGet(func(t *billing.BalanceTransaction) any { return t.Created })},
	{name: "credit_note", fixed: fixedNull},
	{name: "currency", get: cbtxnGet(func(t *billing.BalanceTransaction) any { return t.Currency })},
	{name: "customer", get: cbtxnGet(func(t *billing.BalanceTransaction) any { return t.Customer })},
	{name: "customer_account", fixed: fixedNull},
	{name: "description", get: cbtxnGet(func(t *billing.BalanceTransaction) any { return orNull(t.Description) })},
	{name: "ending_balance", get: cbtxnGet(func(t *billing.BalanceTransaction) any { return t.EndingBalance })},
	{name: "invoice", get: cbtxnGet(func(t *billing.BalanceTransaction) any { return orNull(t.Invoice) })},
	{name: "livemode", fixed: fixedFalse},
	{name: "metadata", get: cbtxnGet(func(t *billing.BalanceTransaction) any {
		if t.Metadata == nil {
			return nil
		}
		return t.Metadata
	})},
	{name: "type", get: cbtxnGet(func(t *billing.BalanceTransaction) any { return string(t.Type) })},
})
