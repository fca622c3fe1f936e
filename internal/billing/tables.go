package billing

import (
	"strconv"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// The tables of the engine's records, and the three it reads but does not
// own (server's products, meters and test clocks, read through the views).
const (
	TableCustomers         = "customers"
	TablePrices            = "prices"
	TableSubscriptions     = "subscriptions"
	TableInvoices          = "invoices"
	TableSubscriptionItems = "subscription_items"
	TableInvoiceItems      = "invoice_items"
	TableUsageRecords      = "usage_records"

	TablePaymentMethods      = "payment_methods"
	TableSetupIntents        = "setup_intents"
	TableBalanceTransactions = "customer_balance_transactions"
	TablePaymentIntents      = "payment_intents"
	TableCharges             = "charges"
	TableRefunds             = "refunds"
	TableInvoicePayments     = "invoice_payments"

	TableProducts   = "products"
	TableMeters     = "meters"
	TableTestClocks = "test_clocks"
)

// Tables are the definitions of the engine's tables, with their indexes and
// due indexes. Server's descriptors hold them (Table), in the order of the
// state file's sections.
func Tables() []store.Table {
	return []store.Table{
		{Name: TableCustomers, BTree: true, Indexes: []store.Index{
			testClockOf(func(r store.Record) string {
				if c := r.(*Customer); !c.Deleted {
					return c.TestClock
				}
				return ""
			}),
		}},
		{Name: TablePrices, Indexes: []store.Index{
			{Name: "product", Keys: func(r store.Record) []string { return []string{r.(*Price).Product} }},
			{Name: "lookup_key", Keys: func(r store.Record) []string { return nonEmpty(r.(*Price).LookupKey) }},
		}},
		{Name: TableSubscriptions, BTree: true, Indexes: []store.Index{
			{Name: "customer", Keys: func(r store.Record) []string { return []string{r.(*Subscription).Customer} }},
			testClockOf(func(r store.Record) string { return r.(*Subscription).TestClock }),
			{Name: "due", Due: subscriptionDue},
		}},
		{Name: TableInvoices, BTree: true, Indexes: []store.Index{
			{Name: "customer", Keys: func(r store.Record) []string { return []string{r.(*Invoice).Customer} }},
			{Name: "subscription", Keys: func(r store.Record) []string { return nonEmpty(r.(*Invoice).Subscription) }},
			testClockOf(func(r store.Record) string { return r.(*Invoice).TestClock }),
			{Name: "due", Due: invoiceDue},
		}},
		{Name: TableSubscriptionItems, Indexes: []store.Index{
			{Name: "subscription", Keys: func(r store.Record) []string { return []string{r.(*Item).Subscription} }},
		}},
		{Name: TableInvoiceItems, Indexes: []store.Index{
			{Name: "customer", Keys: func(r store.Record) []string { return []string{r.(*InvoiceItem).Customer} }},
			{Name: "pending", Keys: func(r store.Record) []string {
				if ii := r.(*InvoiceItem); ii.Invoice == "" {
					return []string{ii.Customer}
				}
				return nil
			}},
			{Name: "invoice", Keys: func(r store.Record) []string { return nonEmpty(r.(*InvoiceItem).Invoice) }},
			testClockOf(func(r store.Record) string { return r.(*InvoiceItem).TestClock }),
		}},
		{Name: TableUsageRecords, Indexes: []store.Index{
			{Name: "item", Keys: func(r store.Record) []string { return []string{r.(*UsageRecord).Item} }},
			{Name: "item_timestamp", Keys: func(r store.Record) []string {
				u := r.(*UsageRecord)
				return []string{usageKey(u.Item, u.Timestamp)}
			}},
		}},
		{Name: TablePaymentMethods, BTree: true, Indexes: []store.Index{
			{Name: "customer", Keys: func(r store.Record) []string { return nonEmpty(r.(*PaymentMethod).Customer) }},
		}},
		{Name: TableSetupIntents, Indexes: []store.Index{
			{Name: "customer", Keys: func(r store.Record) []string { return nonEmpty(r.(*SetupIntent).Customer) }},
		}},
		{Name: TableBalanceTransactions, Indexes: []store.Index{
			{Name: "customer", Keys: func(r store.Record) []string { return []string{r.(*BalanceTransaction).Customer} }},
		}},
		// Every card renewal writes a PaymentIntent and a charge: B-trees,
		// as customers (design-16 §1.9).
		{Name: TablePaymentIntents, BTree: true, Indexes: []store.Index{
			{Name: "customer", Keys: func(r store.Record) []string { return nonEmpty(r.(*PaymentIntent).Customer) }},
			{Name: "invoice", Keys: func(r store.Record) []string { return nonEmpty(r.(*PaymentIntent).Invoice) }},
		}},
		{Name: TableCharges, BTree: true, Indexes: []store.Index{
			{Name: "customer", Keys: func(r store.Record) []string { return nonEmpty(r.(*Charge).Customer) }},
			{Name: "payment_intent", Keys: func(r store.Record) []string { return nonEmpty(r.(*Charge).PaymentIntent) }},
		}},
		{Name: TableRefunds, Indexes: []store.Index{
			{Name: "charge", Keys: func(r store.Record) []string { return []string{r.(*Refund).Charge} }},
			{Name: "due", Due: refundDue},
		}},
		{Name: TableInvoicePayments, BTree: true, Indexes: []store.Index{
			{Name: "invoice", Keys: func(r store.Record) []string { return []string{r.(*InvoicePayment).Invoice} }},
		}},
	}
}

// Table is the definition of the engine's table of that name (a zero Table,
// which server's registry refuses as unstored, for any other name).
func Table(name string) store.Table {
	for _, t := range Tables() {
		if t.Name == name {
			return t
		}
	}
	return store.Table{}
}

// usageKey is the key of an item's legacy usage at a timestamp (the
// item_timestamp index of usage records).
func usageKey(item string, ts int64) string {
	return item + "@" + strconv.FormatInt(ts, 10)
}

// testClockOf indexes records by their test clock.
func testClockOf(clock func(store.Record) string) store.Index {
	return store.Index{Name: "test_clock", Keys: func(r store.Record) []string { return nonEmpty(clock(r)) }}
}

// nonEmpty is the index key s, or none when it is empty.
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// Get is the record of table with the id, or the resource_missing error that
// names it (noun) and the parameter it came in (param).
func Get[T any](tx *store.Txn, table, noun, id, param string) (T, error) {
	var zero T
	rec, err := tx.Get(table, id)
	if err != nil {
		return zero, err
	}
	r, ok := rec.(T)
	if !ok {
		return zero, apierr.ResourceMissing(noun, param, id)
	}
	return r, nil
}

// GetPrice is a price, or the resource_missing error naming it in param.
func GetPrice(tx *store.Txn, id, param string) (*Price, error) {
	return Get[*Price](tx, TablePrices, "price", id, param)
}

// GetCustomer is a customer, or the resource_missing error naming it in
// param; a deleted one is missing unless allowDeleted.
func GetCustomer(tx *store.Txn, id, param string, allowDeleted bool) (*Customer, error) {
	cu, err := Get[*Customer](tx, TableCustomers, "customer", id, param)
	if err != nil {
		return nil, err
	}
	if cu.Deleted && !allowDeleted {
		return nil, apierr.ResourceMissing("customer", param, id)
	}
	return cu, nil
}

// GetSubscription is a subscription, or the resource_missing error naming it
// in param.
func GetSubscription(tx *store.Txn, id, param string) (*Subscription, error) {
	return Get[*Subscription](tx, TableSubscriptions, "subscription", id, param)
}

// GetInvoice is an invoice, or the resource_missing error naming it in param.
func GetInvoice(tx *store.Txn, id, param string) (*Invoice, error) {
	return Get[*Invoice](tx, TableInvoices, "invoice", id, param)
}

// GetInvoiceItem is an invoice item, or the resource_missing error naming it
// in param.
func GetInvoiceItem(tx *store.Txn, id, param string) (*InvoiceItem, error) {
	return Get[*InvoiceItem](tx, TableInvoiceItems, "invoice item", id, param)
}

// GetItem is a subscription item, or the resource_missing error naming it in
// param.
func GetItem(tx *store.Txn, id, param string) (*Item, error) {
	return Get[*Item](tx, TableSubscriptionItems, "subscription item", id, param)
}
