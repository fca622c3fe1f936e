package billing

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
)

// The subscription tests' catalogue, in a world: the prices of the HTTP
// tests (seats at $31.00 a month, the Alpaca AI tokens at $0.04 per 1,000),
// and the others a subscription's rules need.

const day = int64(86400)

// shop is a world with its catalogue.
type shop struct {
	*world
	meter *fakeMeter
	seat  *Price // licensed, 3100 a month (product "Seats")
	small *Price // licensed, 1000 a month
	year  *Price // licensed, 10000 a year
	trial *Price // licensed, 3000 a month, with a trial of 7 days
	eur   *Price // licensed, 900 a month, in eur
	old   *Price // licensed, 700 a month, inactive
	// tokens is metered on the meter: 4 per 1,000 tokens, rounded up
	// ("Alpaca AI tokens"); calls is metered on it too, 1 a unit.
	tokens, calls *Price
	// legacy is metered by usage records: 1 a unit.
	legacy *Price
	setup  *Price // one-time, 2500
}

func newShop(t *testing.T) *shop {
	w := newWorld(t)
	s := &shop{world: w, meter: w.meter(metering.Sum)}
	seats := w.product("Seats", "")
	tokens := w.product("Alpaca AI tokens", "")
	s.seat = w.price(seats.ID, "usd", licensed("3100", "month"))
	s.small = w.price(seats.ID, "usd", licensed("1000", "month"))
	s.year = w.price(seats.ID, "usd", licensed("10000", "year"))
	s.trial = w.price(seats.ID, "usd", func(pr *Price) {
		licensed("3000", "month")(pr)
		days := int64(7)
		pr.Recurring.TrialPeriodDays = &days
	})
	s.eur = w.price(seats.ID, "eur", licensed("900", "month"))
	s.old = w.price(seats.ID, "usd", func(pr *Price) {
		licensed("700", "month")(pr)
		pr.Active = false
	})
	s.tokens = w.price(tokens.ID, "usd", func(pr *Price) {
		packaged(1000, true)(pr)
		pr.Recurring.Meter = s.meter.ID
	})
	s.calls = w.price(tokens.ID, "usd", func(pr *Price) {
		metered("1")(pr)
		pr.Recurring.Meter = s.meter.ID
	})
	s.legacy = w.price(tokens.ID, "usd", metered("1"))
	s.setup = w.price(seats.ID, "usd", func(pr *Price) { pr.UnitAmount = dec("2500") })
	return s
}

// licensed is a licensed recurring price of amount every interval.
func licensed(amount, interval string) func(*Price) {
	return func(pr *Price) {
		pr.UnitAmount = dec(amount)
		pr.Recurring = &Recurring{Interval: interval, IntervalCount: 1, UsageType: "licensed"}
	}
}

// item is items[i] of a request, naming a price.
func item(i int, price string) ItemChange {
	return ItemChange{Param: "items[" + strconv.Itoa(i) + "]", Price: PriceRef{Price: Some(price)}}
}

// changeOf is items[i] of an update, changing (or with deleted, removing) an
// existing item.
func changeOf(i int, it *Item) ItemChange {
	return ItemChange{Param: "items[" + strconv.Itoa(i) + "]", ID: Some(it.ID)}
}

// subscribe creates a subscription of a new customer at now, with an item of
// each price, and commits it.
func (s *shop) subscribe(now int64, prices ...*Price) (*Customer, *Subscription, []*Item) {
	s.t.Helper()
	return s.subscribeIn("", now, nil, prices...)
}

// subscribeIn is subscribe in a billing mode ("": a request that names
// none, at a version before billing modes), with the creation's other
// parameters set by with (nil: none; its items are the prices').
func (s *shop) subscribeIn(mode Mode, now int64, with func(*SubscriptionCreate), prices ...*Price) (*Customer, *Subscription, []*Item) {
	s.t.Helper()
	in := SubscriptionCreate{Mode: ModeRequest{Default: mode, Stamped: mode != ""}}
	if with != nil {
		with(&in)
	}
	return s.subscribeWith("", now, in, prices...)
}

// subscribeWith creates a subscription of a new customer on a clock ("": the
// emulator's) at now, by the request in with its customer and an item of
// each price filled in, and commits it.
func (s *shop) subscribeWith(clock string, now int64, in SubscriptionCreate, prices ...*Price) (*Customer, *Subscription, []*Item) {
	s.t.Helper()
	cu := s.customer(clock, now)
	in.Customer, in.ItemsGiven = Some(cu.ID), true
	for i, pr := range prices {
		in.Items = append(in.Items, item(i, pr.ID))
	}
	u := s.unit(now)
	sub, err := CreateSubscription(u, in)
	if err != nil {
		s.t.Fatal(err)
	}
	items, err := ItemsOf(u.Tx(), sub.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	s.commit()
	return cu, sub, items
}

// updateAt runs an update of sub at a time, in a unit it leaves open: the
// subscription changed, and the amounts of the lines of the invoice the
// change made at once (nil: none).
func (s *shop) updateAt(at int64, sub *Subscription, in SubscriptionChange) (*Unit, *Subscription, []int64) {
	s.t.Helper()
	u := s.unit(at)
	changed, err := UpdateSubscription(u, in)
	if err != nil {
		s.t.Fatal(err)
	}
	var billed []int64
	if changed.LatestInvoice != sub.LatestInvoice {
		billed = amounts(latestLines(s.t, u, changed))
	}
	return u, changed, billed
}

// meteredLines are the amounts of the metered lines of the invoice that
// would close [start, end) of sub, in a unit at end it leaves open.
func (s *shop) meteredLines(sub *Subscription, start, end int64) []int64 {
	s.t.Helper()
	u := s.unit(end)
	items, err := ItemsOf(u.Tx(), sub.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	lines, err := periodLines(u, sub, items, start, end, false)
	if err != nil {
		s.t.Fatal(err)
	}
	metered := []int64{}
	for _, l := range lines {
		if pr, _ := GetPrice(u.Tx(), l.Price, "price"); pr.Metered() {
			metered = append(metered, l.Amount)
		}
	}
	return metered
}

// amounts are the amounts of lines, in order.
func amounts(lines []Line) []int64 {
	out := make([]int64, len(lines))
	for i, l := range lines {
		out[i] = l.Amount
	}
	return out
}

// pendingAmounts are the amounts of a customer's pending invoice items.
func pendingAmounts(t *testing.T, u *Unit, customer string) []int64 {
	t.Helper()
	pending, err := PendingItems(u.Tx(), customer)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, len(pending))
	for i, ii := range pending {
		out[i] = ii.Amount
	}
	return out
}

// latestLines are the lines of a subscription's latest invoice (nil: none).
func latestLines(t *testing.T, u *Unit, sub *Subscription) []Line {
	t.Helper()
	if sub.LatestInvoice == "" {
		return nil
	}
	inv, err := GetInvoice(u.Tx(), sub.LatestInvoice, "invoice")
	if err != nil {
		t.Fatal(err)
	}
	return inv.Lines
}

// wantErr checks that err is Stripe's error on param, with code ("": any).
func wantErr(t *testing.T, err error, param, code string) {
	t.Helper()
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Param != param || code != "" && ae.Code != code {
		t.Fatalf("error %v, want one on %q (%s)", err, param, code)
	}
}
