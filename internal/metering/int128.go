package metering

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/shopspring/decimal"
)

// Int128 is an exact signed sum of int64 values: no realistic number of events
// can overflow it, and adding costs two machine words.
type Int128 struct {
	Hi int64
	Lo uint64
}

// FromInt64 widens v.
func FromInt64(v int64) Int128 {
	hi := int64(0)
	if v < 0 {
		hi = -1
	}
	return Int128{Hi: hi, Lo: uint64(v)}
}

// Add returns a + b.
func (a Int128) Add(b Int128) Int128 {
	lo, carry := bits.Add64(a.Lo, b.Lo, 0)
	return Int128{Hi: a.Hi + b.Hi + int64(carry), Lo: lo}
}

// Neg returns -a.
func (a Int128) Neg() Int128 {
	lo, borrow := bits.Sub64(0, a.Lo, 0)
	return Int128{Hi: -a.Hi - int64(borrow), Lo: lo}
}

// Sub returns a - b.
func (a Int128) Sub(b Int128) Int128 { return a.Add(b.Neg()) }

// IsZero reports a == 0.
func (a Int128) IsZero() bool { return a.Hi == 0 && a.Lo == 0 }

// Sign is -1, 0 or 1.
func (a Int128) Sign() int {
	switch {
	case a.Hi < 0:
		return -1
	case a.IsZero():
		return 0
	}
	return 1
}

// Big converts to a big.Int.
func (a Int128) Big() *big.Int {
	if a.Hi == 0 && a.Lo <= math.MaxInt64 || a.Hi == -1 && a.Lo >= 1<<63 {
		return big.NewInt(int64(a.Lo))
	}
	hi := new(big.Int).Lsh(big.NewInt(a.Hi), 64)
	return hi.Add(hi, new(big.Int).SetUint64(a.Lo))
}

// Decimal converts to an exact decimal.
func (a Int128) Decimal() decimal.Decimal {
	if a.Hi == 0 && a.Lo <= math.MaxInt64 {
		return decimal.NewFromInt(int64(a.Lo))
	}
	if a.Hi == -1 && a.Lo >= 1<<63 {
		return decimal.NewFromInt(int64(a.Lo))
	}
	return decimal.NewFromBigInt(a.Big(), 0)
}

// Saturated is a clamped to the int64 range: the one rule by which a usage
// total beyond it reads, in summaries and on invoices alike.
func (a Int128) Saturated() int64 {
	switch {
	case a.Hi > 0 || a.Hi == 0 && a.Lo > math.MaxInt64:
		return math.MaxInt64
	case a.Hi < -1 || a.Hi == -1 && a.Lo < 1<<63:
		return math.MinInt64
	}
	return int64(a.Lo)
}

// Float64 converts to the nearest float64 (for JSON numbers).
func (a Int128) Float64() float64 {
	f, _ := new(big.Float).SetInt(a.Big()).Float64()
	return f
}
