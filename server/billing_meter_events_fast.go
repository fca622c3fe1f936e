package server

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

// fastParams is what an endpoint's fast decoder made of a plain request body, in
// place of the generic parameter tree (call.fast).
type fastParams interface {
	// Canonical is the text form.Params.Canonical gives for the same body, so
	// that idempotency compares requests alike whichever decoder read them.
	Canonical() string
}

// meterEventInput is a v1 meter event's parameters, however they were decoded.
type meterEventInput struct {
	name          string
	identifier    string
	hasIdentifier bool
	payload       map[string]string
	timestamp     int64
	hasTimestamp  bool
	timestampText string // as sent (00042 is 42), for Canonical
}

// meterEventInputFromParams reads the parameters the generic decoder checked.
func meterEventInputFromParams(p *form.Params) *meterEventInput {
	in := &meterEventInput{payload: p.StringMap("payload")}
	in.name, _ = p.String("event_name")
	in.identifier, in.hasIdentifier = p.String("identifier")
	in.timestamp, in.hasTimestamp = p.Int("timestamp")
	if in.hasTimestamp {
		in.timestampText = p.Get("timestamp").Str
	}
	return in
}

// Canonical implements fastParams (sorted keys: event_name, identifier,
// payload[…], timestamp).
func (in *meterEventInput) Canonical() string {
	b := make([]byte, 0, 128)
	b = append(append(append(b, "event_name="...), in.name...), '&')
	if in.hasIdentifier {
		b = append(append(append(b, "identifier="...), in.identifier...), '&')
	}
	keys := make([]string, 0, len(in.payload))
	for k := range in.payload {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b = append(append(append(append(append(b, "payload["...), k...), "]="...), in.payload[k]...), '&')
	}
	if in.hasTimestamp {
		b = append(append(append(b, "timestamp="...), in.timestampText...), '&')
	}
	return string(b)
}

// fastMeterEventForm decodes the body every client sends to POST
// /v1/billing/meter_events (event_name, payload[k], identifier, timestamp, each
// once, none empty) without the generic tree and schema walk. Anything else
// (another parameter, a repeated or empty one, a malformed or over-long value)
// gives false, and the generic decoder reads the body, errors and all: both
// decoders agree on every body this one takes (FuzzMeterEventFastForm).
func fastMeterEventForm(raw string) (fastParams, bool) {
	in, ok := parseMeterEventForm(raw)
	if !ok {
		return nil, false
	}
	return in, true
}

func parseMeterEventForm(raw string) (*meterEventInput, bool) {
	const maxPairs = 64
	in := &meterEventInput{}
	hasName := false
	for pairs := 0; raw != ""; pairs++ {
		if pairs == maxPairs {
			return nil, false
		}
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		key, rawVal, hasEq := strings.Cut(pair, "=")
		if !hasEq || key == "" || rawVal == "" || len(key) > form.MaxKeyLen || strings.ContainsAny(key, "%+") {
			return nil, false
		}
		val, err := form.Unescape(rawVal)
		if err != nil || val == "" || len(val) > form.MaxStringLen || !utf8.ValidString(val) {
			return nil, false
		}
		switch key {
		case "event_name":
			if hasName {
				return nil, false
			}
			in.name, hasName = val, true
		case "identifier":
			if in.hasIdentifier {
				return nil, false
			}
			in.identifier, in.hasIdentifier = val, true
		case "timestamp":
			if in.hasTimestamp {
				return nil, false
			}
			ts, err := form.ParseInt(val)
			if err != nil || ts < calc.MinTime || ts > calc.MaxTime {
				return nil, false
			}
			in.timestamp, in.hasTimestamp, in.timestampText = ts, true, val
		default:
			sub, ok := strings.CutPrefix(key, "payload[")
			if !ok || !strings.HasSuffix(sub, "]") {
				return nil, false
			}
			sub = sub[:len(sub)-1]
			if sub == "" || strings.ContainsAny(sub, "[]") || !utf8.ValidString(sub) {
				return nil, false
			}
			if in.payload == nil {
				in.payload = make(map[string]string, 4)
			}
			if _, dup := in.payload[sub]; dup {
				return nil, false
			}
			in.payload[sub] = val
		}
	}
	if !hasName || in.payload == nil {
		return nil, false
	}
	return in, true
}
