package billing

import (
	"maps"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// InvoiceItem is a stored invoice item: a one-off charge or credit, or a
// proration from a subscription change. It waits (pending, Invoice "") until an
// invoice takes it.
type InvoiceItem struct {
	store.Meta
	Customer         string
	Amount           int64
	Currency         string
	Description      string
	PeriodStart      int64
	PeriodEnd        int64
	Price            string
	Quantity         int64
	UnitAmount       *decimal.Decimal
	Proration        bool
	Subscription     string
	SubscriptionItem string
	Invoice          string
	Discountable     bool
	Metadata         map[string]string
	TestClock        string
	// Credited is, for a credit proration of a flexible subscription, the
	// debit it credits (proration_details[credited_items]); nil otherwise.
	Credited *CreditedLine `json:",omitempty"`
}

// CreditedLine is a debit a credit proration credits: an invoice's line, or
// a proration invoice item (on its invoice once one takes it).
type CreditedLine struct {
	Invoice string `json:",omitempty"`
	Line    string `json:",omitempty"` // a line of Invoice
	Item    string `json:",omitempty"` // an invoice item (its line on Invoice is il_ for ii_)
}

// same reports whether two name the same debit.
func (c CreditedLine) same(o CreditedLine) bool {
	if c.Item != "" || o.Item != "" {
		return c.Item == o.Item
	}
	return c.Invoice == o.Invoice && c.Line == o.Line
}

// Clone is a copy of the item to change and store again.
func (ii *InvoiceItem) Clone() *InvoiceItem {
	n := *ii
	n.Metadata = maps.Clone(ii.Metadata)
	return &n
}

func (ii *InvoiceItem) clock() string { return ii.TestClock }
