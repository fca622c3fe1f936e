package server

import "github.com/stripe-emulator/stripe-emulator/internal/store"

// Table names.
const (
	tCustomers         = "customers"
	tProducts          = "products"
	tMeters            = "meters"
	tPrices            = "prices"
	tSubscriptions     = "subscriptions"
	tSubscriptionItems = "subscription_items"
	tInvoiceItems      = "invoice_items"
	tUsageRecords      = "usage_records"
	tInvoices          = "invoices"
	tTestClocks        = "test_clocks"
	tWebhookEndpoints  = "webhook_endpoints"
	tAlerts            = "alerts"
)

// testClockOf indexes records by their test clock.
func testClockOf(clock func(store.Record) string) store.Index {
	return store.Index{Name: "test_clock", Keys: func(r store.Record) []string {
		if c := clock(r); c != "" {
			return []string{c}
		}
		return nil
	}}
}

// tables is every account's database schema.
var tables = []store.Table{
	{Name: tCustomers, BTree: true, Indexes: []store.Index{
		testClockOf(func(r store.Record) string {
			if c := r.(*customer); !c.Deleted {
				return c.TestClock
			}
			return ""
		}),
	}},
	{Name: tProducts, CustomIDs: true},
	{Name: tPrices, Indexes: []store.Index{
		{Name: "product", Keys: func(r store.Record) []string { return []string{r.(*price).Product} }},
		{Name: "lookup_key", Keys: func(r store.Record) []string {
			if k := r.(*price).LookupKey; k != "" {
				return []string{k}
			}
			return nil
		}},
	}},
	{Name: tSubscriptions, Indexes: []store.Index{
		{Name: "customer", Keys: func(r store.Record) []string { return []string{r.(*subscription).Customer} }},
		testClockOf(func(r store.Record) string { return r.(*subscription).TestClock }),
		{Name: "due", Due: subscriptionDue},
	}},
	{Name: tInvoices, Indexes: []store.Index{
		{Name: "customer", Keys: func(r store.Record) []string { return []string{r.(*invoice).Customer} }},
		{Name: "subscription", Keys: func(r store.Record) []string {
			if s := r.(*invoice).Subscription; s != "" {
				return []string{s}
			}
			return nil
		}},
		testClockOf(func(r store.Record) string { return r.(*invoice).TestClock }),
		{Name: "due", Due: invoiceDue},
	}},
	{Name: tTestClocks},
	{Name: tWebhookEndpoints},
	{Name: tAlerts, Indexes: []store.Index{
		{Name: "meter", Keys: func(r store.Record) []string { return []string{r.(*alert).Meter} }},
	}},
	{Name: tSubscriptionItems, Indexes: []store.Index{
		{Name: "subscription", Keys: func(r store.Record) []string { return []string{r.(*subItem).Subscription} }},
	}},
	{Name: tInvoiceItems, Indexes: []store.Index{
		{Name: "customer", Keys: func(r store.Record) []string { return []string{r.(*invoiceItem).Customer} }},
		{Name: "pending", Keys: func(r store.Record) []string {
			if ii := r.(*invoiceItem); ii.Invoice == "" {
				return []string{ii.Customer}
			}
			return nil
		}},
		{Name: "invoice", Keys: func(r store.Record) []string {
			if ii := r.(*invoiceItem); ii.Invoice != "" {
				return []string{ii.Invoice}
			}
			return nil
		}},
		testClockOf(func(r store.Record) string { return r.(*invoiceItem).TestClock }),
	}},
	{Name: tUsageRecords, Indexes: []store.Index{
		{Name: "item", Keys: func(r store.Record) []string { return []string{r.(*usageRecord).Item} }},
		{Name: "item_timestamp", Keys: func(r store.Record) []string { u := r.(*usageRecord); return []string{usageKey(u.Item, u.Timestamp)} }},
	}},
	{Name: tMeters, Indexes: []store.Index{
		{Name: "event_name", Keys: func(r store.Record) []string { return []string{r.(*meter).EventName} }},
	}},
}
