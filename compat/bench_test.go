package compat

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
)

// BenchmarkMeterEventsBinary drives the built binary with stripe-go from 32
// goroutines (client and emulator share the machine) and reports accepted meter
// events per second. stripe-go sends an Idempotency-Key with every event, so the
// emulator's idempotency cache is part of the measure.
func BenchmarkMeterEventsBinary(b *testing.B) {
	for _, logRequests := range []string{"true", "false"} {
		b.Run("log-requests="+logRequests, func(b *testing.B) {
			e := startB(b, "-log-requests="+logRequests)
			sc := e.client("sk_test_bench")
			if _, err := sc.BillingMeters.New(&stripe.BillingMeterParams{DisplayName: stripe.String("Alpaca AI tokens"),
				EventName: stripe.String("alpaca_ai_tokens"), DefaultAggregation: &stripe.BillingMeterDefaultAggregationParams{Formula: stripe.String("sum")}}); err != nil {
				b.Fatal(err)
			}
			c, err := sc.Customers.New(nil)
			if err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					if _, err := sc.BillingMeterEvents.New(&stripe.BillingMeterEventParams{EventName: stripe.String("alpaca_ai_tokens"),
						Identifier: stripe.String("bench-" + strconv.FormatInt(i, 10)),
						Payload:    map[string]string{"stripe_customer_id": c.ID, "value": "25"}}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}
