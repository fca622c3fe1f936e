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
}

// Clone is a copy of the item to change and store again.
func (ii *InvoiceItem) Clone() *InvoiceItem {
	n := *ii
	n.Metadata = maps.Clone(ii.Metadata)
	return &n
}

func (ii *InvoiceItem) clock() string { return ii.TestClock }
