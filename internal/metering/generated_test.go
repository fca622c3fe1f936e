package metering

import "testing"

// TestGeneratedIdentifiersAreNotLookedUp: an identifier the emulator made up is
// trusted to be new (it is random); a client's is checked.
func TestGeneratedIdentifiersAreNotLookedUp(t *testing.T) {
	s := New(86400)
	e := Event{Identifier: "same", EventName: "e", Meter: "m", Customer: "c", Counted: true, Timestamp: 100, Received: 100, Value: 1}
	if err := s.Record(e); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(e); err != ErrDuplicate {
		t.Fatalf("a client's identifier twice: %v", err)
	}
	e.Identifier, e.Generated = "gen", true
	if err := s.Record(e); err != nil {
		t.Fatal(err)
	}
	if got := s.All("m", "c").Value(Sum); got.Lo != 2 {
		t.Errorf("total %v", got)
	}
}
