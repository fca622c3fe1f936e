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

	// DefaultPaymentMethod is invoice_settings.default_payment_method: a
	// payment method attached to the customer, or "". It is kept apart from
	// the rest of the invoice settings for collection to read
	// (PaymentMethodFor). Left out of state files when "", so that those
	// written before it existed save again as they were.
	DefaultPaymentMethod string `json:",omitempty"`
	// Delinquent is delinquent: an invoice's automatic payment failed or its
	// due date passed unpaid, and no invoice has been paid (or marked
	// uncollectible through the API) since (sg79).
	Delinquent bool `json:",omitempty"`
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

// setDelinquent sets a customer's delinquent flag (a deleted customer, or
// one already so, is left as it is).
func setDelinquent(u *Unit, customer string, delinquent bool) error {
	cu, err := GetCustomer(u.tx, customer, "customer", true)
	if err != nil || cu.Deleted || cu.Delinquent == delinquent {
		return err
	}
	n := cu.Clone()
	n.Delinquent = delinquent
	return u.tx.Put(TableCustomers, n)
}
