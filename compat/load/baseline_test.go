package main

import (
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		ok         bool
	}{
		{"utime 7 and stime 5 ticks", "1234 (stripe-emulat) S 1 1234 1234 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 9 0 555 1000 200", 120 * time.Millisecond, true},
		{"a command name with spaces and parentheses", "99 (a) b (c) R 1 99 99 0 -1 0 0 0 0 0 300 200 0 0 20 0 1 0 1 1 1", 5 * time.Second, true},
		{"cut short", "99 (x) S 1 2 3", 0, false},
		{"no command name", "garbage", 0, false},
		{"not numbers", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 a b 0", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseStatCPU(tc.stat)
			if got != tc.want || ok != tc.ok {
				t.Errorf("parseStatCPU = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
