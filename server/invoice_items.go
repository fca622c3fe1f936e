package server

import (
	"maps"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/server/store"
)

// invoiceItem is a stored invoice item: a one-off charge or credit, or a
// proration from a subscription change. It waits (pending, Invoice "") until an
// invoice takes it.
type invoiceItem struct {
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

func (ii *invoiceItem) clone() *invoiceItem {
	n := *ii
	n.Metadata = maps.Clone(ii.Metadata)
	return &n
}

// pendingItems lists a customer's invoice items not yet on an invoice, oldest first.
func (c *call) pendingItems(customerID string) ([]*invoiceItem, error) {
	recs, err := c.tx.Find(tInvoiceItems, "pending", customerID)
	if err != nil {
		return nil, err
	}
	out := make([]*invoiceItem, len(recs))
	for i, r := range recs {
		out[i] = r.(*invoiceItem)
	}
	sortByCreation(out)
	return out, nil
}

// sortByCreation orders records oldest first (created, then insertion).
func sortByCreation[R store.Record](rs []R) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0; j-- {
			a, b := rs[j-1].RecordMeta(), rs[j].RecordMeta()
			if a.Created < b.Created || a.Created == b.Created && a.Seq < b.Seq {
				break
			}
			rs[j-1], rs[j] = rs[j], rs[j-1]
		}
	}
}
