package server

import "github.com/stripe-emulator/stripe-emulator/server/store"

// Table names.
const (
	tCustomers = "customers"
	tProducts  = "products"
	tMeters    = "meters"
	tPrices    = "prices"
)

// tables is every account's database schema.
var tables = []store.Table{
	{Name: tCustomers, Indexes: []store.Index{
		{Name: "email", Keys: func(r store.Record) []string {
			c := r.(*customer)
			if c.Deleted || c.Email == "" {
				return nil
			}
			return []string{c.Email}
		}},
	}},
	{Name: tProducts},
	{Name: tPrices, Indexes: []store.Index{
		{Name: "product", Keys: func(r store.Record) []string { return []string{r.(*price).Product} }},
		{Name: "lookup_key", Keys: func(r store.Record) []string {
			if k := r.(*price).LookupKey; k != "" {
				return []string{k}
			}
			return nil
		}},
	}},
	{Name: tMeters, Indexes: []store.Index{
		{Name: "event_name", Keys: func(r store.Record) []string { return []string{r.(*meter).EventName} }},
	}},
}
