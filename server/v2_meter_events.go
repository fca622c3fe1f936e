package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// The v2 usage endpoints: JSON bodies, RFC 3339 times, and the high-throughput
// meter event stream, authenticated by a 15-minute session token. The same
// counting rules as v1 apply.

const (
	sessionLifetime   = 15 * time.Minute
	maxStreamEvents   = 100
	v2SessionObject   = "v2.billing.meter_event_session"
	v2TimestampLayout = "2006-01-02T15:04:05.000Z"
)

// Bounds of the live meter event session tokens: an account holds at most
// maxSessionsPerAccount, and every account together maxSessions. A token
// lives sessionLifetime, so a client that needs more than a thousand at once
// is not reusing them (a token serves any number of stream requests until
// its expires_at).
const (
	maxSessionsPerAccount = 1000
	maxSessions           = 100_000
)

// sessions are the live meter event session tokens of every account. Every
// token lives sessionLifetime from its creation, so they expire in the order
// they were made: a queue in that order lets add drop the expired ones from
// its front, each once (O(1) amortized). A clock set back can put a token
// that expires sooner behind one that expires later; it then goes when that
// one does, still within the bounds.
type sessions struct {
	mu        sync.RWMutex
	m         map[string]session
	queue     []string       // the tokens of m, oldest first
	byAccount map[string]int // live tokens per account key
	// perAccount and total bound the live tokens (maxSessionsPerAccount,
	// maxSessions).
	perAccount, total int
}

type session struct {
	accountKey string
	expires    time.Time
}

func newSessions() *sessions {
	return &sessions{m: map[string]session{}, byAccount: map[string]int{}, perAccount: maxSessionsPerAccount, total: maxSessions}
}

// add registers a token, unless its account or the emulator holds its
// maximum of live tokens.
func (s *sessions) add(token string, ss session, now time.Time) *apierr.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) > 0 && now.After(s.m[s.queue[0]].expires) {
		s.drop()
	}
	if n := s.byAccount[ss.accountKey]; n >= s.perAccount {
		return apierr.Limit("This account already holds %d live meter event sessions, the most stripe-emulator keeps for one account. Reuse a session's authentication_token for every stream request until its expires_at (a session lives %d minutes), or wait until older sessions expire.",
			n, int(sessionLifetime/time.Minute))
	}
	if len(s.m) >= s.total {
		return apierr.Limit("stripe-emulator already holds %d live meter event sessions across its accounts, the most it keeps. Reuse a session's authentication_token until its expires_at, or wait until older sessions expire (a session lives %d minutes).",
			len(s.m), int(sessionLifetime/time.Minute))
	}
	s.m[token] = ss
	s.queue = append(s.queue, token)
	s.byAccount[ss.accountKey]++
	return nil
}

// drop forgets the oldest token.
func (s *sessions) drop() {
	token := s.queue[0]
	s.queue[0] = ""
	s.queue = s.queue[1:]
	key := s.m[token].accountKey
	delete(s.m, token)
	if s.byAccount[key]--; s.byAccount[key] <= 0 {
		delete(s.byAccount, key)
	}
}

func (s *sessions) get(token string) (session, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ss, ok := s.m[token]
	return ss, ok
}

func v2Endpoints() []endpoint {
	return []endpoint{
		{route: "POST /v2/billing/meter_event_session", raw: true, mode: txNone, h: createMeterEventSession},
		{route: "POST /v2/billing/meter_event_stream", raw: true, session: true, mode: txRead, h: meterEventStream},
		{route: "POST /v2/billing/meter_events", raw: true, mode: txRead, h: createMeterEventV2},
		{route: "POST /v2/billing/meter_event_adjustments", raw: true, mode: txRead, h: createMeterEventAdjustmentV2},
	}
}

func v2Time(unix int64) string { return time.Unix(unix, 0).UTC().Format(v2TimestampLayout) }

// decodeJSON reads a v2 JSON body strictly into v (a pointer to a struct):
// unknown fields, values of the wrong JSON type and invalid UTF-8 are refused
// with the parameter named, in the bracket form v2 errors use (cancel[identifier]).
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			param := bracketPath(te.Field)
			if p := mismatchPath(body, reflect.TypeOf(v).Elem()); p != "" {
				param = p // with the key of a map value, which te.Field lacks
			}
			return apierr.InvalidRequest("", param, "Invalid %s: expected %s, not a JSON %s.", param, jsonKind(te.Type), te.Value)
		}
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			name := strings.Trim(f, `"`)
			if path := unknownFieldPath(body, reflect.TypeOf(v).Elem(), ""); path != "" {
				name = path
			}
			return apierr.InvalidRequest("parameter_unknown", name, "Received unknown parameter: %s", name)
		}
		return apierr.InvalidRequest("", "", "Invalid JSON body: %s. v2 endpoints take a JSON object (Content-Type: application/json).", msg)
	}
	if d.More() {
		return apierr.InvalidRequest("", "", "Invalid JSON body: more than one JSON value.")
	}
	if !utf8.Valid(body) {
		param := invalidUTF8Path(body)
		return apierr.InvalidRequest("", param, "Invalid UTF-8 in %s: v2 bodies must be UTF-8 text.", orWord(param, "the body"))
	}
	return nil
}

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// paramPath is the parameter name of key k below prefix: k, or prefix[k].
func paramPath(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "[" + k + "]"
}

// bracketPath turns encoding/json's dotted field path (payload.value) into
// Stripe's parameter form (payload[value]).
func bracketPath(dotted string) string {
	parts := strings.Split(dotted, ".")
	out := parts[0]
	for _, p := range parts[1:] {
		out = paramPath(out, p)
	}
	return out
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	case reflect.Bool:
		return "a boolean"
	}
	return "a number"
}

// unknownFieldPath finds, for an error message only, the first key of body
// (at any depth) that the struct type t has no field for.
func unknownFieldPath(body []byte, t reflect.Type, prefix string) string {
	var generic any
	if json.Unmarshal(body, &generic) != nil {
		return ""
	}
	return unknownIn(generic, t, prefix)
}

func unknownIn(v any, t reflect.Type, prefix string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	join := func(k string) string { return paramPath(prefix, k) }
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			fields[strings.ToLower(name)] = f.Type
		}
		for k, sub := range obj {
			ft, known := fields[strings.ToLower(k)]
			if !known {
				return join(k)
			}
			if p := unknownIn(sub, ft, join(k)); p != "" {
				return p
			}
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return ""
		}
		for i, e := range arr {
			if p := unknownIn(e, t.Elem(), join(strconv.Itoa(i))); p != "" {
				return p
			}
		}
	}
	return ""
}

// mismatchPath finds, for an error message only, the first value of body whose
// JSON type does not fit the Go type t, as a parameter path.
func mismatchPath(body []byte, t reflect.Type) string {
	var generic any
	if json.Unmarshal(body, &generic) != nil {
		return ""
	}
	return mismatchIn(generic, t, "")
}

func mismatchIn(v any, t reflect.Type, prefix string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	join := func(k string) string { return paramPath(prefix, k) }
	if v == nil {
		return "" // null fits anything
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return prefix
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return prefix
		}
		for i, e := range arr {
			if p := mismatchIn(e, t.Elem(), join(strconv.Itoa(i))); p != "" {
				return p
			}
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return prefix
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p := mismatchIn(obj[k], t.Elem(), join(k)); p != "" {
				return p
			}
		}
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return prefix
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			for k, sub := range obj {
				if strings.EqualFold(k, name) {
					if p := mismatchIn(sub, f.Type, join(k)); p != "" {
						return p
					}
				}
			}
		}
	}
	return ""
}

// invalidUTF8Path names the first string of body (a key or a value) that is
// not valid UTF-8, as a parameter path; "" if it cannot tell.
func invalidUTF8Path(body []byte) string {
	var generic any
	if json.Unmarshal(body, &generic) != nil {
		return ""
	}
	bad := utf8.RuneError
	var walk func(v any, prefix string) string
	walk = func(v any, prefix string) string {
		join := func(k string) string { return paramPath(prefix, k) }
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if strings.ContainsRune(k, bad) {
					return join(k)
				}
				if p := walk(x[k], join(k)); p != "" {
					return p
				}
			}
		case []any:
			for i, e := range x {
				if p := walk(e, join(strconv.Itoa(i))); p != "" {
					return p
				}
			}
		case string:
			if strings.ContainsRune(x, bad) {
				return prefix
			}
		}
		return ""
	}
	return walk(generic, "")
}

func createMeterEventSession(c *call) (jsonobj.Obj, error) {
	var req struct{}
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	token := "mtres_test_" + store.RandomString(48)
	expires := c.now.Add(sessionLifetime)
	if err := c.s.sessions.add(token, session{accountKey: c.acct.key, expires: expires}, c.now); err != nil {
		return nil, err
	}
	return jsonobj.Obj{
		{K: "id", V: store.NewID("mtrsess")},
		{K: "object", V: v2SessionObject},
		{K: "authentication_token", V: token},
		{K: "created", V: c.now.UTC().Format(v2TimestampLayout)},
		{K: "expires_at", V: expires.UTC().Format(v2TimestampLayout)},
		{K: "livemode", V: false},
	}, nil
}

// sessionAccount authenticates a stream request by its session token.
func (s *Server) sessionAccount(r *http.Request) (*account, *apierr.Error) {
	token, aerr := apiKey(r)
	if aerr != nil {
		return nil, aerr
	}
	ss, ok := s.sessions.get(token)
	if !ok {
		return nil, apierr.Unauthorized("Invalid authentication token: the meter event stream takes the authentication_token of a meter event session (POST /v2/billing/meter_event_session).")
	}
	if s.clock.Now().After(ss.expires) {
		e := apierr.Unauthorized("The temporary session token has expired.")
		e.Type, e.Code = "temporary_session_expired", "billing_meter_event_session_expired"
		return nil, e
	}
	acct := s.accounts.get(ss.accountKey)
	if acct == nil {
		return nil, apierr.AccountLimit(s.accounts.max, maskKey(ss.accountKey))
	}
	return acct, nil
}

// v2Event is a meter event in a v2 body.
type v2Event struct {
	EventName  string            `json:"event_name"`
	Identifier string            `json:"identifier"`
	Payload    map[string]string `json:"payload"`
	Timestamp  string            `json:"timestamp"`
}

// toMeterEvent checks a v2 event's fields and converts it.
func (e *v2Event) toMeterEvent(param string) (meterEvent, *apierr.Error) {
	ev := meterEvent{name: e.EventName, identifier: e.Identifier, payload: e.Payload}
	switch {
	case e.EventName == "":
		return ev, apierr.ParameterMissing(param + "event_name")
	case e.Payload == nil:
		return ev, apierr.ParameterMissing(param + "payload")
	case len(e.EventName) > maxMeterEventName:
		return ev, apierr.Invalid(param+"event_name", "Invalid event_name: must be at most %d characters.", maxMeterEventName)
	case len(e.Identifier) > maxIdentifier:
		return ev, apierr.Invalid(param+"identifier", "Invalid identifier: must be at most %d characters.", maxIdentifier)
	}
	for k, v := range e.Payload {
		for _, s := range [2]string{k, v} {
			if len(s) > form.MaxStringLen && utf8.RuneCountInString(s) > form.MaxStringLen {
				return ev, apierr.Invalid(param+"payload["+form.Abbreviate(k)+"]", "Invalid string: %s; must be at most %d characters", form.Abbreviate(s), form.MaxStringLen)
			}
		}
	}
	if ev.identifier == "" {
		ev.identifier, ev.generated = store.RandomString(24), true
	}
	if e.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, e.Timestamp)
		if err != nil {
			return ev, apierr.Invalid(param+"timestamp", "Invalid timestamp: %q is not an RFC 3339 time such as 2024-07-01T12:00:00.000Z.", apierr.Clip(e.Timestamp, 40))
		}
		ev.timestamp, ev.hasTimestamp = t.Unix(), true
	}
	return ev, nil
}

// meterEventStream accepts up to 100 events at once. As on Stripe, validation
// is asynchronous: the request succeeds if it is well formed, and events that
// cannot count become error reports (duplicates are dropped).
func meterEventStream(c *call) (jsonobj.Obj, error) {
	var req struct {
		Events []v2Event `json:"events"`
	}
	if evs, ok := parseStreamFast(c.body); ok {
		req.Events = evs
	} else if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	c.lookups = &lookups{}
	switch {
	case len(req.Events) == 0:
		return nil, apierr.ParameterMissing("events")
	case len(req.Events) > maxStreamEvents:
		return nil, apierr.Invalid("events", "A meter event stream request takes at most %d events; this one has %d.", maxStreamEvents, len(req.Events))
	}
	for i := range req.Events {
		ev, aerr := req.Events[i].toMeterEvent("")
		if aerr != nil {
			c.acct.meterErrors.add(c, nil, ev, "meter_event_invalid_request", aerr.Message)
			continue
		}
		if err := c.recordMeterEvent(&ev); err != nil {
			var ae *apierr.Error
			if !errors.As(err, &ae) {
				return nil, err
			}
			if ae.Param == "identifier" { // a duplicate: dropped, as the stream does
				continue
			}
			m, _ := c.meterByEventName(ev.name)
			c.acct.meterErrors.add(c, m, ev, asyncCode(ae), ae.Message)
		}
	}
	return jsonobj.Obj{}, nil
}

// asyncCode is the error report code of an event the stream could not take.
func asyncCode(e *apierr.Error) string {
	switch {
	case strings.Contains(e.Message, "before the current time"):
		return "timestamp_too_far_in_past"
	case strings.Contains(e.Message, "after the current time"):
		return "timestamp_in_future"
	case strings.HasPrefix(e.Message, tooManyDigitsPrefix):
		return "meter_event_value_too_many_digits"
	}
	return "meter_event_invalid_request"
}

// createMeterEventV2 is the synchronous v2 meter event: the v1 rules, JSON in and out.
func createMeterEventV2(c *call) (jsonobj.Obj, error) {
	var req v2Event
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	ev, aerr := req.toMeterEvent("")
	if aerr != nil {
		return nil, aerr
	}
	if err := c.recordMeterEvent(&ev); err != nil {
		return nil, err
	}
	return jsonobj.Obj{
		{K: "object", V: "v2.billing.meter_event"},
		{K: "created", V: v2Time(c.unix())},
		{K: "event_name", V: ev.name},
		{K: "identifier", V: ev.identifier},
		{K: "livemode", V: false},
		{K: "payload", V: ev.payload},
		{K: "timestamp", V: v2Time(ev.timestamp)},
	}, nil
}

func createMeterEventAdjustmentV2(c *call) (jsonobj.Obj, error) {
	var req struct {
		EventName string `json:"event_name"`
		Type      string `json:"type"`
		Cancel    *struct {
			Identifier string `json:"identifier"`
		} `json:"cancel"`
	}
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.EventName == "":
		return nil, apierr.ParameterMissing("event_name")
	case req.Type == "":
		return nil, apierr.ParameterMissing("type")
	case req.Type != "cancel":
		return nil, apierr.InvalidEnum("type", []string{"cancel"})
	case req.Cancel == nil || req.Cancel.Identifier == "":
		return nil, apierr.ParameterMissing("cancel[identifier]")
	}
	if err := c.cancelMeterEvent(req.Cancel.Identifier, req.EventName); err != nil {
		return nil, err
	}
	return jsonobj.Obj{
		{K: "id", V: store.NewID("mtr_adj")},
		{K: "object", V: "v2.billing.meter_event_adjustment"},
		{K: "cancel", V: jsonobj.Obj{{K: "identifier", V: req.Cancel.Identifier}}},
		{K: "created", V: v2Time(c.unix())},
		{K: "event_name", V: req.EventName},
		{K: "livemode", V: false},
		{K: "status", V: "complete"},
		{K: "type", V: "cancel"},
	}, nil
}
