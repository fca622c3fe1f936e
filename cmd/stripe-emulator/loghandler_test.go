package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"
)

// The fast path writes exactly what slog.TextHandler writes, and hands it
// everything else.
func TestTextHandlerMatchesSlog(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 11, 23, 23, 40, 30, 123456789, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 5*3600+1800)),
		time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.Local),
		time.Date(2026, 1, 2, 3, 4, 5, 7000000, time.UTC), // the same second as the next: the cached head
		time.Date(2026, 1, 2, 3, 4, 5, 48000000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 48000000, time.FixedZone("Y", -3600)), // the same second elsewhere
		time.Date(12026, 1, 2, 3, 4, 5, 0, time.UTC),
		{},
	}
	strs := []string{"/v1/customers", "req_abc", "", "a b", "a=b", `q"uote`, "caf\u00e9", "tab\t", "back\\slash", "\x00", "\xff", "line\nbreak", "{}[]()!~"}
	floats := []float64{0, 0.05, 1234.5678, 1e21, -3, math.Inf(1), math.NaN()}
	var recs []slog.Record
	for i, tm := range times {
		for j, s := range strs {
			r := slog.NewRecord(tm, slog.Level((i+j)%12-4), "request", 0)
			r.AddAttrs(slog.String("method", "POST"), slog.String("path", s), slog.Int("status", 200+j),
				slog.Float64("duration_ms", floats[(i+j)%len(floats)]), slog.Bool("ok", j%2 == 0), slog.Uint64("n", uint64(j)))
			recs = append(recs, r)
		}
	}
	for _, msg := range []string{"stripe-emulator listening", "", "state loaded"} {
		r := slog.NewRecord(times[0], slog.LevelInfo, msg, 0)
		r.AddAttrs(slog.Duration("d", time.Second), slog.Group("env", slog.String("K", "v")), slog.Any("x", []int{1}), slog.Time("at", times[0]))
		recs = append(recs, r)
	}
	r := slog.NewRecord(times[0], slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("bad key", "v"))
	recs = append(recs, r)

	fast := 0
	var got bytes.Buffer
	fh := newTextHandler(&got, &slog.HandlerOptions{}) // one handler: its cache of the second is exercised
	for _, r := range recs {
		var want bytes.Buffer
		got.Reset()
		if err := slog.NewTextHandler(&want, nil).Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if err := fh.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("got  %q\nwant %q", got.String(), want.String())
		}
		if _, ok := newTextHandler(io.Discard, &slog.HandlerOptions{}).appendTextRecord(nil, r); ok {
			fast++
		}
	}
	if fast < len(times)*4 {
		t.Errorf("only %d of %d records took the fast path", fast, len(recs))
	}
	// Levels and groups still work through the handler.
	var buf bytes.Buffer
	h := newTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Error("level filter")
	}
	slog.New(h).With("a", 1).WithGroup("g").Warn("m", "k", "v")
	if !bytes.Contains(buf.Bytes(), []byte("level=WARN msg=m a=1 g.k=v")) {
		t.Errorf("WithAttrs/WithGroup: %q", buf.String())
	}
}
