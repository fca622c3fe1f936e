package server

// The bad-input matrix: every v1 endpoint the emulator serves × a set of
// malformed inputs, generated from the operations catalogue in
// ../shared/stripe-openapi (skipped where it is absent). Each case must get a
// 4xx whose error.param names the culprit, never a 5xx, and leave the
// account's stored state as it was (TestBadInputMatrix).
//
// The kinds, each on an otherwise valid request (badInputBases) against a
// seeded object in the state its action needs:
//
//   - unknown: an unknown parameter at the top level, and inside the first
//     object parameter; param is that name.
//   - wrong_type: every top-level parameter with a value of another type (a
//     word for a number, boolean or enum, a scalar for an object or array, an
//     object for a string); param is the parameter. Not generated where the
//     schema takes every shape: "..." subtrees and parameters that are a
//     string or an object (counted in the log as wrong_type_impossible).
//   - too_long: 5001 characters in the first free-form string of every
//     top-level parameter; param is that string. Metadata values are left to
//     the metadata kind (their limit is 500, with Stripe's own message).
//   - int64_overflow: 9223372036854775808 in the first integer of every
//     top-level parameter; param is that integer.
//   - expand: an expand[] path the response does not have; param expand.
//   - limit: -1, 0, 101 and -2^63-1 on list endpoints; param limit.
//   - missing_id: a path ID that names nothing: a 404 with param id.
//   - utf8: invalid UTF-8 in the value of the first free-form string; param
//     is its name. And in a parameter's name: there the param is "", since a
//     name that is not UTF-8 cannot be echoed (the message says what is wrong).
//   - deep: a parameter nested 100 levels; param is the whole key as sent.
//   - metadata: a value of 501 characters, a key of 41, 51 keys, at the top
//     level and in the nested metadata of nestedMetadataCases; param is the
//     metadata parameter, as Stripe's metadata errors name it.
//
// Not in this matrix: the v2 JSON endpoints (TestBadInputV2 below: a JSON
// body has no form keys, no limit, no path ID and no integer), POST
// /_emulator/fixtures (a fixtures file, whose entries are requests to these
// same routes; FuzzEndpoints covers it), and catalogue operations the
// emulator does not serve (logged: they are the router's 404 whatever the
// input). POST /_emulator/reset runs last, as a request it wrongly accepted
// would empty the account.

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/spec"
	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// kv is one form pair, unencoded.
type kv struct{ k, v string }

func encodePairs(pairs []kv) string {
	parts := make([]string, 0, len(pairs))
	for _, p := range pairs {
		parts = append(parts, url.QueryEscape(p.k)+"="+url.QueryEscape(p.v))
	}
	return strings.Join(parts, "&")
}

// badCase is one request of the matrix.
type badCase struct {
	kind   string // unknown, wrong_type, too_long, int64_overflow, expand, limit, missing_id, utf8, deep, metadata
	route  route
	path   string   // with the path variable filled
	pairs  []kv     // the bad input, unencoded
	raw    string   // the bad input, already encoded (invalid UTF-8 in a name)
	omit   []string // base parameters to leave out
	status int      // 400, or 404 for a missing object
	param  string   // the error.param the culprit must have
	msg    string   // a substring of error.message, when the kind has a fixed message
}

func (c badCase) id() string { return c.kind + " " + c.route.name() + " " + c.param }

// badInputExceptions are the cases whose error.param is not the culprit's
// name, each with the reason; they must still be a 4xx that changes nothing.
// The key is badCase.id(). An exception that no longer applies fails the test,
// so the list stays exact.
var badInputExceptions = map[string]string{}

// badInputKnownBugs are cases that fail for a bug in a file this test's
// owner does not own, reported in /tmp/robust-findings.md; each is skipped
// (as a subtest, with what went wrong) while the bug lasts, and fails the
// test once fixed, so that it is taken off this list.
var badInputKnownBugs = map[string]string{}

// badInputBases are the parameters that make a request valid but for its one
// bad input: the required ones, and those a handler needs before it reaches
// the parameter under test (limit, a path ID). Each base alone is checked to
// succeed on a scratch account first.
func badInputBases(ids seedIDs) map[string][]kv {
	query := []kv{{"query", "metadata['k']:'v'"}}
	return map[string][]kv{
		"GET /v1/billing/meters/{id}/event_summaries": {{"customer", ids.customer}, {"start_time", fmt.Sprint(t0.Unix() - 86400)}, {"end_time", fmt.Sprint(t0.Unix())}},
		"GET /v1/customers/search":                    query,
		"GET /v1/products/search":                     query,
		"GET /v1/prices/search":                       query,
		"GET /v1/subscriptions/search":                query,
		"GET /v1/invoices/search":                     query,
		"GET /v1/subscription_items":                  {{"subscription", ids.subscription}},
		"GET /v1/invoices/upcoming":                   {{"customer", ids.customer}},
		"GET /v1/invoices/upcoming/lines":             {{"customer", ids.customer}},
		"POST /v1/invoices/create_preview":            {{"customer", ids.customer}},
		"POST /v1/billing/meters":                     {{"display_name", "Matrix"}, {"event_name", "matrix_event"}, {"default_aggregation[formula]", "sum"}},
		"POST /v1/billing/meter_events":               {{"event_name", ids.eventName}, {"payload[stripe_customer_id]", ids.customer}, {"payload[value]", "1"}},
		"POST /v1/billing/meter_event_adjustments":    {{"type", "cancel"}, {"event_name", ids.eventName}, {"cancel[identifier]", ids.identifier}},
		"POST /v1/billing/alerts": {{"alert_type", "usage_threshold"}, {"title", "Matrix"}, {"usage_threshold_config[gte]", "10"},
			{"usage_threshold_config[meter]", ids.meter}, {"usage_threshold_config[recurrence]", "one_time"}},
		"POST /v1/customers":                                            {{"name", "Matrix"}},
		"POST /v1/products":                                             {{"name", "Matrix"}},
		"POST /v1/prices":                                               {{"currency", "usd"}, {"unit_amount", "100"}, {"product", ids.product}},
		"POST /v1/subscriptions":                                        {{"customer", ids.customer}, {"items[0][price]", ids.licensedPrice}},
		"POST /v1/subscription_items":                                   {{"subscription", ids.clockSubscription}, {"price", ids.otherPrice}},
		"POST /v1/invoiceitems":                                         {{"customer", ids.customer}, {"amount", "100"}, {"currency", "usd"}},
		"POST /v1/invoices":                                             {{"customer", ids.customer}},
		"POST /v1/test_helpers/test_clocks":                             {{"frozen_time", fmt.Sprint(t0.Unix())}},
		"POST /v1/payment_methods":                                      {{"type", "card"}, {"card[number]", "4242424242424242"}, {"card[exp_month]", "12"}, {"card[exp_year]", "2030"}},
		"POST /v1/payment_methods/{payment_method}/attach":              {{"customer", ids.customer}},
		"POST /v1/customers/{customer}/balance_transactions":            {{"amount", "-100"}, {"currency", "usd"}},
		"POST /v1/payment_intents":                                      {{"amount", "1000"}, {"currency", "usd"}},
		"POST /v1/refunds":                                              {{"charge", ids.charge}, {"amount", "1"}},
		"POST /_emulator/intents/{intent}/authenticate":                 {{"result", "complete"}},
		"POST /v1/webhook_endpoints":                                    {{"url", "https://hooks.example.com/matrix"}, {"enabled_events[0]", "*"}},
		"POST /v1/test_helpers/test_clocks/{test_clock}/advance":        {{"frozen_time", fmt.Sprint(t0.Unix() + 3600)}},
		"POST /v1/subscription_items/{subscription_item}/usage_records": {{"quantity", "1"}},
	}
}

// loadMatrixCatalogue reads the shared catalogue's operations, with the
// served ones it lacks from the acacia catalogue (spec.FromAcacia, as the
// emulator's own extract takes them), or skips.
func loadMatrixCatalogue(t *testing.T) map[string]*form.Operation {
	data, err := os.ReadFile(catalogueFile)
	if err != nil {
		testnote.Skip(t, fmt.Sprintf("the operations catalogue is absent (%v): the bad-input matrix is generated from it", err))
	}
	ops, err := form.LoadCatalogue(data)
	if err != nil {
		t.Fatalf("catalogue: %v", err)
	}
	acaciaData, err := os.ReadFile(filepath.Join(filepath.Dir(catalogueFile), "operations-"+apiversion.V2024_09_30_Acacia.Info().Catalogue+".json"))
	if err != nil {
		testnote.Skip(t, fmt.Sprintf("the acacia catalogue is absent (%v): the bad-input matrix is generated from it too", err))
	}
	acacia, err := form.LoadCatalogue(acaciaData)
	if err != nil {
		t.Fatalf("acacia catalogue: %v", err)
	}
	for id, op := range acacia {
		if slices.Contains(spec.FromAcacia, op.Method+" "+op.Path) {
			ops[id] = op
		}
	}
	for _, c := range spec.Corrections {
		for _, op := range ops {
			if op.Method+" "+op.Path == c.Route {
				delete(op.Params.Props, c.Path) // top-level parameters, as the corrections are
			}
		}
	}
	return ops
}

// childPath is a nested parameter's bracketed name.
func childPath(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + "[" + seg + "]"
}

// findLeaf is the first parameter below s (depth first, names sorted,
// alternatives in order) whose schema satisfies want, as a bracketed name.
// Metadata maps are not entered: their values follow the metadata rules.
func findLeaf(s *form.Schema, path string, depth int, want func(*form.Schema) bool) (string, bool) {
	if s == nil || depth > 12 {
		return "", false
	}
	if want(s) {
		return path, true
	}
	switch s.Type {
	case form.TAnyOf:
		for _, alt := range s.AnyOf {
			if p, ok := findLeaf(alt, path, depth+1, want); ok {
				return p, true
			}
		}
	case form.TObject:
		for _, name := range s.Names() {
			if p, ok := findLeaf(s.Props[name], childPath(path, name), depth+1, want); ok {
				return p, true
			}
		}
		if s.Additional != nil && lastKeyOf(path) != "metadata" {
			return findLeaf(s.Additional, childPath(path, "robust_key"), depth+1, want)
		}
	case form.TArray:
		return findLeaf(s.Items, path+"[0]", depth+1, want)
	}
	return "", false
}

// nestedMeta is a metadata parameter below the top level (param), with the
// siblings that get a request to the handler's metadata check (pairs), and
// the base parameters that must go (omit).
type nestedMeta struct {
	pairs []kv
	param string
	omit  []string
}

func nestedMetadataCases(ids seedIDs) map[string][]nestedMeta {
	item := []kv{{"invoice_items[0][amount]", "100"}, {"invoice_items[0][currency]", "usd"}}
	return map[string][]nestedMeta{
		"POST /v1/prices":                                  {{[]kv{{"product_data[name]", "P"}}, "product_data[metadata]", []string{"product"}}},
		"POST /v1/subscriptions":                           {{nil, "items[0][metadata]", nil}},
		"POST /v1/subscriptions/{subscription_exposed_id}": {{[]kv{{"items[0][id]", ids.item}}, "items[0][metadata]", nil}},
		"GET /v1/invoices/upcoming":                        {{item, "invoice_items[0][metadata]", nil}},
		"GET /v1/invoices/upcoming/lines":                  {{item, "invoice_items[0][metadata]", nil}},
		"POST /v1/invoices/create_preview":                 {{item, "invoice_items[0][metadata]", nil}},
	}
}

func lastKeyOf(path string) string {
	if i := strings.LastIndexByte(path, '['); i >= 0 {
		return strings.TrimSuffix(path[i+1:], "]")
	}
	return path
}

func isFreeString(s *form.Schema) bool { return s.Type == form.TString && len(s.Enum) == 0 }
func isInteger(s *form.Schema) bool    { return s.Type == form.TInteger }
func isObjectWithProps(s *form.Schema) bool {
	return s.Type == form.TObject && len(s.Props) > 0
}

// wrongType is a value of the wrong type for the parameter at path, or false
// when the schema takes every shape (free-form, or both a string and an object).
func wrongType(s *form.Schema, path string) ([]kv, bool) {
	switch s.Type {
	case form.TString:
		if len(s.Enum) > 0 {
			return []kv{{path, "robust_not_a_value"}}, true
		}
		return []kv{{path + "[robust]", "x"}}, true // an object where a string goes
	case form.TInteger, form.TNumber:
		return []kv{{path, "robust_nan"}}, true
	case form.TBoolean:
		return []kv{{path, "robust_maybe"}}, true
	case form.TObject, form.TArray:
		return []kv{{path, "robust_scalar"}}, true
	case form.TAnyOf:
		var freeString, compound bool
		for _, alt := range s.AnyOf {
			switch {
			case alt.Type == form.TAny:
				return nil, false
			case isFreeString(alt):
				freeString = true
			case alt.Type == form.TObject || alt.Type == form.TArray:
				compound = true
			}
		}
		switch {
		case freeString && compound:
			return nil, false
		case freeString:
			return []kv{{path + "[robust]", "x"}}, true
		}
		return []kv{{path, "robust_scalar"}}, true
	}
	return nil, false
}

// matrixCases generates the cases of one route from its parameter schema.
func matrixCases(rt route, schema *form.Schema, ids seedIDs) []badCase {
	id := ids.pathID(rt.template)
	path := ids.fill(rt.template, id)
	mk := func(kind string, pairs []kv, param, msg string) badCase {
		return badCase{kind: kind, route: rt, path: path, pairs: pairs, status: 400, param: param, msg: msg}
	}
	names := schema.Names()
	var cases []badCase

	// An unknown parameter, at the top level and inside the first object parameter.
	cases = append(cases, mk("unknown", []kv{{"robust_unknown", "1"}}, "robust_unknown", "Received unknown parameter: robust_unknown"))
	for _, n := range names {
		if p, ok := findLeaf(schema.Props[n], n, 0, isObjectWithProps); ok {
			param := p + "[robust_unknown]"
			cases = append(cases, mk("unknown", []kv{{param, "1"}}, param, "Received unknown parameter: "+param))
			break
		}
	}
	for _, n := range names {
		s := schema.Props[n]
		// The wrong type for every parameter.
		if pairs, ok := wrongType(s, n); ok {
			cases = append(cases, mk("wrong_type", pairs, n, ""))
		} else {
			cases = append(cases, mk("wrong_type_impossible", nil, n, "")) // only counted
		}
		// A string over 5000 characters, wherever the parameter has a free string.
		if p, ok := findLeaf(s, n, 0, isFreeString); ok {
			cases = append(cases, mk("too_long", []kv{{p, strings.Repeat("x", 5001)}}, p, "must be at most 5000 characters"))
		}
		// An integer past int64, wherever the parameter has an integer.
		if p, ok := findLeaf(s, n, 0, isInteger); ok {
			cases = append(cases, mk("int64_overflow", []kv{{p, "9223372036854775808"}}, p, ""))
		}
	}
	// An expand[] path the response does not have: refused after the handler
	// ran, so its effects must be undone (or, outside a transaction, never done).
	if schema.Prop("expand") != nil {
		cases = append(cases, mk("expand", []kv{{"expand[0]", "robust_no_such_field"}}, "expand", "cannot be expanded"))
	}
	if schema.Prop("limit") != nil {
		for _, v := range []string{"-1", "0", "101", "-9223372036854775809"} {
			cases = append(cases, mk("limit", []kv{{"limit", v}}, "limit", ""))
		}
	}
	if id != "" {
		c := mk("missing_id", nil, "id", "")
		c.path, c.status = fillPath(rt.template, "robust_missing_0000"), 404
		cases = append(cases, c)
	}
	// Invalid UTF-8: in the value of the first free string (expand[0] for most
	// endpoints), and in a parameter name (which cannot be echoed as a param).
	utf8Param := "robust_param"
	for _, n := range names {
		if p, ok := findLeaf(schema.Props[n], n, 0, isFreeString); ok {
			utf8Param = p
			break
		}
	}
	cases = append(cases, mk("utf8", []kv{{utf8Param, "ok\xff\xfe"}}, utf8Param, "not valid UTF-8"))
	nameCase := mk("utf8", nil, "", "not valid UTF-8")
	nameCase.raw = "robust%FFname=1"
	cases = append(cases, nameCase)
	// 100-deep nesting under a real parameter.
	top := "robust_param"
	if schema.Prop("metadata") != nil {
		top = "metadata"
	} else if len(names) > 0 {
		top = names[0]
	}
	deep := top + strings.Repeat("[a]", 100)
	cases = append(cases, mk("deep", []kv{{deep, "1"}}, deep, "nested more than"))
	// Metadata past its limits (handlers check these, so the base must be
	// valid); nested metadata needs its siblings, so those cases are listed.
	for _, nm := range nestedMetadataCases(ids)[rt.name()] {
		c := mk("metadata", append(nm.pairs, kv{nm.param + "[k]", strings.Repeat("v", 501)}), nm.param, "under 500 characters")
		c.omit = nm.omit
		cases = append(cases, c)
	}
	if schema.Prop("metadata") != nil {
		cases = append(cases,
			mk("metadata", []kv{{"metadata[k]", strings.Repeat("v", 501)}}, "metadata", "under 500 characters"),
			mk("metadata", []kv{{"metadata[" + strings.Repeat("k", 41) + "]", "v"}}, "metadata", "under 40 characters"))
		var many []kv
		for i := 0; i < 51; i++ {
			many = append(many, kv{fmt.Sprintf("metadata[key%02d]", i), "v"})
		}
		cases = append(cases, mk("metadata", many, "metadata", "up to 50 keys"))
	}
	return cases
}

// withBase merges the bad input into the route's base: a base pair is left out
// where the bad input sets the same parameter, or one above or below it.
func withBase(base, bad []kv) []kv {
	out := make([]kv, 0, len(base)+len(bad))
	for _, b := range base {
		clash := false
		for _, p := range bad {
			if b.k == p.k || strings.HasPrefix(b.k, p.k+"[") || strings.HasPrefix(p.k, b.k+"[") {
				clash = true
				break
			}
		}
		if !clash {
			out = append(out, b)
		}
	}
	return append(out, bad...)
}

// send runs a case and returns its response.
func (e *inproc) sendCase(c badCase, base []kv) inResp {
	var kept []kv
	for _, b := range base {
		if !slices.Contains(c.omit, b.k) {
			kept = append(kept, b)
		}
	}
	body := encodePairs(withBase(kept, c.pairs))
	if c.raw != "" {
		if body != "" {
			body += "&"
		}
		body += c.raw
	}
	if c.route.method == "GET" {
		return e.send("GET", c.path+"?"+body, "")
	}
	return e.send(c.route.method, c.path, body)
}

var upcomingID = regexp.MustCompile(`upcoming_in_[0-9A-Za-z]+`)

func TestBadInputMatrix(t *testing.T) {
	ops := loadMatrixCatalogue(t)
	e := newInproc(t)
	e.seed()
	bases := badInputBases(e.ids)

	// Which routes the matrix covers, and the schema each is generated from.
	type target struct {
		rt     route
		schema *form.Schema
	}
	var targets, last []target
	served := map[string]bool{}
	for _, rt := range e.routes() {
		switch {
		case rt.ep.raw:
			// JSON bodies have no form keys. The v2 endpoints have their own
			// matrix (TestBadInputV2). POST /_emulator/fixtures (emulator-only)
			// takes a Stripe CLI fixtures file whose entries are requests to
			// the routes of this matrix, and is not a transaction; FuzzEndpoints
			// covers it.
			continue
		case rt.ep.later:
			// Added by a version after 2024-06-20, this account's: a 404 here
			// for every input. Their refusals are checked at their versions
			// (TestMigrateToFlexible, TestPauseRefusals), and FuzzEndpoints
			// sends them at every version.
			continue
		case rt.ep.op != "":
			op := ops[rt.ep.op]
			if op == nil {
				t.Errorf("%s: operation %s is not in the shared catalogue", rt.name(), rt.ep.op)
				continue
			}
			served[rt.ep.op] = true
			targets = append(targets, target{rt, op.Params})
		case rt.template == "/_emulator/reset":
			// Emulator-only, hand-written schema; last, as a request it
			// wrongly accepted would empty the account.
			last = append(last, target{rt, rt.ep.schema})
		default:
			// Usage alerts and the emulator's own endpoints are outside the
			// catalogue: their hand-written schemas stand in for it.
			targets = append(targets, target{rt, rt.ep.schema})
		}
	}
	targets = append(targets, last...)
	var unserved []string
	for id := range ops {
		if !served[id] {
			unserved = append(unserved, id)
		}
	}
	sort.Strings(unserved)
	t.Logf("%d routes; catalogue operations the emulator does not serve (a 404 for every input): %v", len(targets), unserved)

	// Each base alone must succeed, on a scratch account, so that a case's only
	// fault is its bad input.
	scratch := newInproc(t)
	scratch.seed()
	scratchBases := badInputBases(scratch.ids)
	for _, tg := range targets {
		base := scratchBases[tg.rt.name()]
		if len(base) == 0 {
			continue
		}
		c := badCase{route: tg.rt, path: scratch.ids.fill(tg.rt.template, scratch.ids.pathID(tg.rt.template))}
		if r := scratch.sendCase(c, base); r.status != 200 {
			t.Errorf("base of %s is not a valid request: %d %s", tg.rt.name(), r.status, r.body)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	dumpBefore := upcomingID.ReplaceAllString(e.dump(), "upcoming_in_X")
	before := e.fingerprint()
	used, knownSeen := map[string]bool{}, map[string]bool{}
	counts := map[string]int{}
	var impossible []string
	for _, tg := range targets {
		for _, c := range matrixCases(tg.rt, tg.schema, e.ids) {
			counts[c.kind]++
			if c.kind == "wrong_type_impossible" {
				impossible = append(impossible, c.route.name()+" "+c.param)
				continue
			}
			r := e.sendCase(c, bases[tg.rt.name()])
			where := fmt.Sprintf("%s [%s] %.200s", c.route.name(), c.kind, encodePairs(c.pairs)+c.raw)
			var problems []string
			if r.status >= 500 {
				problems = append(problems, fmt.Sprintf("%d %s\n%s", r.status, r.body, e.logs.take()))
			}
			if after := e.fingerprint(); after.diff(before) != "" {
				problems = append(problems, fmt.Sprintf("%d, and stored state changed: %s", r.status, before.diff(after)))
				before = after
			}
			_, excepted := badInputExceptions[c.id()]
			used[c.id()] = used[c.id()] || excepted
			named := r.status == c.status && r.errField("param") == c.param && strings.Contains(r.errField("message"), c.msg)
			switch {
			case r.status < 400:
				problems = append(problems, fmt.Sprintf("%d %.300s, want a 4xx", r.status, r.body))
			case r.status >= 500:
			case excepted && named:
				problems = append(problems, "the case now names its culprit: drop it from badInputExceptions")
			case !excepted && !named:
				problems = append(problems, fmt.Sprintf("got %d param=%q %q; want %d param=%q message containing %q",
					r.status, r.errField("param"), r.errField("message"), c.status, c.param, c.msg))
			}
			bug, known := badInputKnownBugs[c.id()]
			switch {
			case known && len(problems) > 0:
				knownSeen[c.id()] = true
				t.Run(c.id(), func(t *testing.T) {
					testnote.Skip(t, fmt.Sprintf("known bug: %s: %s", bug, strings.Join(problems, "; ")))
				})
			case known:
				knownSeen[c.id()] = true
				t.Errorf("%s: the known bug %q is fixed: drop it from badInputKnownBugs", where, bug)
			case len(problems) > 0:
				t.Errorf("%s: %s", where, strings.Join(problems, "; "))
			}
		}
	}
	for id, bug := range badInputKnownBugs {
		if !knownSeen[id] {
			t.Errorf("stale known bug %q (%s): no such case", id, bug)
		}
	}
	for id, reason := range badInputExceptions {
		if !used[id] {
			t.Errorf("stale exception %q (%s): no such case", id, reason)
		}
	}
	if dumpAfter := upcomingID.ReplaceAllString(e.dump(), "upcoming_in_X"); dumpAfter != dumpBefore {
		a, b := strings.Split(dumpBefore, "\n"), strings.Split(dumpAfter, "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Errorf("the lists of every resource differ after the matrix:\nbefore %.400s\nafter  %.400s", a[i], b[i])
				break
			}
		}
	}
	t.Logf("cases by kind: %v", counts)
	t.Logf("parameters that take every shape (no wrong type to send): %s", strings.Join(impossible, ", "))
}

// TestBadInputV2 is the matrix's counterpart for the v2 JSON endpoints, whose
// bodies have no form keys: unknown fields, wrong types, over-long strings,
// invalid UTF-8 and deep nesting, each on an otherwise valid body. (No v2
// endpoint takes an integer, a limit or a path ID.) Each must be a 4xx naming
// the field, with nothing counted.
func TestBadInputV2(t *testing.T) {
	e := newInproc(t)
	e.seed()
	cus := e.ids.customer
	event := func(extra string) string {
		return `{"event_name":"robust_calls","payload":{"stripe_customer_id":"` + cus + `","value":"1"}` + extra + `}`
	}
	deep := strings.Repeat(`{"a":`, 100) + `"1"` + strings.Repeat(`}`, 100)
	long := strings.Repeat("x", 5001)
	tests := []struct {
		name, path, body string
		param            string
		knownBug         string // a finding in v2_meter_events.go (see /tmp/robust-findings.md)
	}{
		{"unknown field", "/v2/billing/meter_events", event(`,"robust_unknown":1`), "robust_unknown", ""},
		{"unknown field in an adjustment's cancel", "/v2/billing/meter_event_adjustments",
			`{"event_name":"robust_calls","type":"cancel","cancel":{"identifier":"seed-1","robust_unknown":1}}`, "cancel[robust_unknown]", ""},
		{"unknown field in a session request", "/v2/billing/meter_event_session", `{"robust_unknown":1}`, "robust_unknown", ""},
		{"unknown field in a stream request", "/v2/billing/meter_event_stream", `{"events":[],"robust_unknown":1}`, "robust_unknown", ""},
		{"wrong type: number for event_name", "/v2/billing/meter_events",
			`{"event_name":5,"payload":{"stripe_customer_id":"` + cus + `","value":"1"}}`, "event_name", ""},
		{"wrong type: number as a payload value", "/v2/billing/meter_events",
			`{"event_name":"robust_calls","payload":{"stripe_customer_id":"` + cus + `","value":1}}`, "payload[value]", ""},
		{"wrong type: object for events", "/v2/billing/meter_event_stream", `{"events":{"a":1}}`, "events", ""},
		{"wrong type: string for an adjustment's cancel", "/v2/billing/meter_event_adjustments",
			`{"event_name":"robust_calls","type":"cancel","cancel":"seed-1"}`, "cancel", ""},
		{"over-long event_name", "/v2/billing/meter_events", `{"event_name":"` + long + `","payload":{"stripe_customer_id":"` + cus + `"}}`, "event_name", ""},
		{"over-long identifier", "/v2/billing/meter_events", event(`,"identifier":"` + long + `"`), "identifier", ""},
		{"over-long payload value", "/v2/billing/meter_events",
			`{"event_name":"robust_calls","payload":{"stripe_customer_id":"` + cus + `","value":"1","note":"` + long + `"}}`, "payload[note]", ""},
		{"invalid UTF-8 in event_name", "/v2/billing/meter_events",
			"{\"event_name\":\"robust_calls\xff\",\"payload\":{\"stripe_customer_id\":\"" + cus + "\",\"value\":\"1\"}}", "event_name", ""},
		{"bad timestamp", "/v2/billing/meter_events", event(`,"timestamp":"yesterday"`), "timestamp", ""},
		{"100-deep nesting in the payload", "/v2/billing/meter_events",
			`{"event_name":"robust_calls","payload":{"stripe_customer_id":"` + cus + `","value":` + deep + `}}`, "payload[value]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.fingerprint()
			headers := []string{}
			if strings.HasSuffix(tt.path, "/meter_event_stream") {
				headers = []string{"Authorization", "Bearer " + e.ids.stream}
			}
			r := e.send("POST", tt.path, tt.body, headers...)
			if r.status >= 500 {
				t.Fatalf("%d %s\n%s", r.status, r.body, e.logs.take())
			}
			var problems []string
			if d := before.diff(e.fingerprint()); d != "" {
				problems = append(problems, "stored state changed: "+d)
			}
			if r.status < 400 {
				problems = append(problems, fmt.Sprintf("%d %.200s, want a 4xx", r.status, r.body))
			} else if p := r.errField("param"); p != tt.param {
				problems = append(problems, fmt.Sprintf("param %q (%s), want %q", p, r.errField("message"), tt.param))
			}
			switch {
			case len(problems) > 0 && tt.knownBug != "":
				testnote.Skip(t, fmt.Sprintf("known bug: %s: %s", tt.knownBug, strings.Join(problems, "; ")))
			case len(problems) > 0:
				t.Error(strings.Join(problems, "; "))
			case tt.knownBug != "":
				t.Errorf("the known bug %q is fixed: drop it from the case", tt.knownBug)
			}
		})
	}
}

// TestBadInputUsageRecordOverflow: legacy usage records add up quantities
// that are each a valid int64; a total past int64 must be refused (or
// saturate), never wrap to a negative quantity.
func TestBadInputUsageRecordOverflow(t *testing.T) {
	e := newInproc(t)
	e.seed() // the legacy item has a record of 7 at t0
	path := "/v1/subscription_items/" + e.ids.legacyItem + "/usage_records"
	const bug = "internal/billing/usage.go: rec.Quantity += qty (RecordUsage) and total += u.Quantity (legacyUsage) wrap past int64"
	var problems []string

	before := e.fingerprint()
	r := e.send("POST", path, "quantity=9223372036854775807") // same timestamp: an increment
	if r.status >= 500 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if q, _ := r.json["quantity"].(float64); r.status == 200 && q < 0 {
		problems = append(problems, fmt.Sprintf("an increment wrapped: %d %.200s", r.status, r.body))
	} else if r.status >= 400 {
		if r.errField("param") != "quantity" {
			problems = append(problems, fmt.Sprintf("refused with param %q, want quantity", r.errField("param")))
		}
		if d := before.diff(e.fingerprint()); d != "" {
			problems = append(problems, "refused, but stored state changed: "+d)
		}
	}

	r = e.send("POST", path, fmt.Sprintf("quantity=9223372036854775807&timestamp=%d", t0.Unix()+1)) // another record
	if r.status >= 500 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = e.send("GET", "/v1/subscription_items/"+e.ids.legacyItem+"/usage_record_summaries", "")
	if r.status != 200 {
		t.Fatalf("summaries: %d %s", r.status, r.body)
	}
	for _, d := range r.json["data"].([]any) {
		if total, _ := d.(map[string]any)["total_usage"].(float64); total < 0 {
			problems = append(problems, fmt.Sprintf("a summary's total_usage wrapped: %v", total))
		}
	}
	if len(problems) > 0 {
		t.Error(strings.Join(problems, "; "))
	}
}
