package billing

import (
	"maps"
	"slices"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Customer is a stored customer. Deleted customers stay as tombstones:
// retrieving one answers {id, object, deleted: true}, as Stripe does. The
// engine owns its balance, currency, invoice numbering and clock; server's
// endpoints set its descriptive fields, and Address, InvoiceSettings and
// Shipping are theirs alone (Attrs).
type Customer struct {
	store.Meta
	Deleted             bool
	Address             Attrs
	Balance             int64
	Currency            string
	Description         string
	Email               string
	InvoicePrefix       string
	InvoiceSettings     Attrs
	Metadata            map[string]string
	Name                string
	NextInvoiceSequence int64
	Phone               string
	PreferredLocales    []string
	Shipping            Attrs
	TaxExempt           string
	TestClock           string
	// BusinessName and IndividualName are business_name and individual_name
	// (2025-09-30.clover).
	BusinessName   string `json:",omitempty"`
	IndividualName string `json:",omitempty"`
}

// Clone is a copy of the customer to change and store again.
func (c *Customer) Clone() *Customer {
	n := *c
	n.Metadata = maps.Clone(c.Metadata)
	n.PreferredLocales = slices.Clone(c.PreferredLocales)
	return &n
}

func (c *Customer) clock() string { return c.TestClock }

// setCustomerCurrency gives the customer the currency of what it is billed
// (a subscription, an invoice item), or refuses a second currency.
func setCustomerCurrency(u *Unit, cu *Customer, currency string) error {
	if cu.Currency == currency {
		return nil
	}
	if cu.Currency != "" {
		return apierr.Invalid("currency", "You cannot combine currencies on a single customer. This customer has had a subscription, coupon, or invoice item with currency %s.", cu.Currency)
	}
	n := cu.Clone()
	n.Currency = currency
	return u.tx.Put(TableCustomers, n)
}
