package billing

import "github.com/stripe-emulator/stripe-emulator/internal/store"

// The records the engine reads but does not own are server's: products,
// meters and test clocks, catalogue and tooling resources. The engine needs
// a name, a formula and a time of them, and reads them through these views,
// which those records implement.

// ClockView is a test clock (TableTestClocks).
type ClockView interface {
	store.Record
	// Frozen is the clock's frozen time (unix seconds).
	Frozen() int64
}
