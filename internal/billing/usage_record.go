package billing

import "github.com/stripe-emulator/stripe-emulator/internal/store"

// UsageRecord is legacy metered usage (a metered price without a meter): the
// quantity of one subscription item at one timestamp.
type UsageRecord struct {
	store.Meta
	Item      string
	Timestamp int64
	Quantity  int64
}
