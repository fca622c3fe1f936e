package server

// A fast path for the meter event stream's body, the emulator's hottest input:
// {"events":[{"event_name":"…","identifier":"…","timestamp":"…","payload":{"k":"v",…}},…]}.
// It takes only the plain form of that shape (ASCII strings without escapes,
// each key once, exact key names) and reports false for anything else, which
// then goes through encoding/json (decodeJSON) for the same result or its exact
// error. FuzzStreamFastPath checks that whatever it accepts, encoding/json
// decodes identically.

type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// lit consumes c (after whitespace) if it is next.
func (s *jsonScanner) lit(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string without escapes or non-ASCII bytes.
func (s *jsonScanner) str() (string, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return string(s.b[start:j]), true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
	}
	return "", false
}

// strMap reads an object of string values, each key once.
func (s *jsonScanner) strMap() (map[string]string, bool) {
	if !s.lit('{') {
		return nil, false
	}
	m := make(map[string]string, 4)
	if s.lit('}') {
		return m, true
	}
	for {
		k, ok := s.str()
		if !ok || !s.lit(':') {
			return nil, false
		}
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		if _, dup := m[k]; dup {
			return nil, false
		}
		m[k] = v
		switch {
		case s.lit(','):
		case s.lit('}'):
			return m, true
		default:
			return nil, false
		}
	}
}

func (s *jsonScanner) event() (v2Event, bool) {
	var e v2Event
	if !s.lit('{') {
		return e, false
	}
	if s.lit('}') {
		return e, true
	}
	seen := 0
	for {
		k, ok := s.str()
		if !ok || !s.lit(':') {
			return e, false
		}
		var bit int
		switch k {
		case "event_name":
			bit = 1
			e.EventName, ok = s.str()
		case "identifier":
			bit = 2
			e.Identifier, ok = s.str()
		case "timestamp":
			bit = 4
			e.Timestamp, ok = s.str()
		case "payload":
			bit = 8
			e.Payload, ok = s.strMap()
		default:
			return e, false
		}
		if !ok || seen&bit != 0 {
			return e, false
		}
		seen |= bit
		switch {
		case s.lit(','):
		case s.lit('}'):
			return e, true
		default:
			return e, false
		}
	}
}

// parseStreamFast decodes a stream body of the plain form; false: use decodeJSON.
func parseStreamFast(b []byte) ([]v2Event, bool) {
	s := jsonScanner{b: b}
	if !s.lit('{') {
		return nil, false
	}
	if k, ok := s.str(); !ok || k != "events" || !s.lit(':') || !s.lit('[') {
		return nil, false
	}
	evs := make([]v2Event, 0, maxStreamEvents)
	if !s.lit(']') {
		for {
			e, ok := s.event()
			if !ok {
				return nil, false
			}
			evs = append(evs, e)
			if s.lit(',') {
				continue
			}
			if s.lit(']') {
				break
			}
			return nil, false
		}
	}
	if !s.lit('}') {
		return nil, false
	}
	s.ws()
	return evs, s.i == len(b)
}
