package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// Every response the suite's emulators give (testEnv.do and the stripe-go
// client alike) is checked against the response shapes of the API version
// that served it (its Stripe-Version header): the catalogue of the snapshot
// its parameters start from (apiversion.CatalogueBase: the nearest at or
// below, the early basil file for 2025-03-31 and 2025-04-30), which says which
// fields are always present (null or not), which may be null, their types
// and enumerations; and Stripe's own trimmed spec of that snapshot, for a
// null where a field is optional and not nullable (Stripe leaves it out).
// An event's data.object is checked at the event's api_version. Fields a
// declared unit changes between the snapshot and the version are the unit's
// business (render_versions_test.go checks those), so neither required nor
// refused there. The checks are skipped cleanly where ../shared is absent.

// snapshotShapes are one snapshot's catalogue objects and spec schemas.
type snapshotShapes struct {
	objects map[string]*shape
	spec    map[string]*specSchema // nil for 2024-06-20 (no trimmed spec: the acacia one stands in)
}

var openapiDir = filepath.Join("..", "..", "shared", "stripe-openapi")

var loadSnapshotShapes = sync.OnceValues(func() (map[string]*snapshotShapes, error) {
	out := map[string]*snapshotShapes{}
	for v := apiversion.Version(0); v < apiversion.Count; v++ {
		name := v.Info().Catalogue
		if name == "" {
			continue
		}
		var cat struct {
			Objects map[string]*shape `json:"objects"`
		}
		if err := readJSONFile(filepath.Join(openapiDir, "operations-"+name+".json"), &cat); err != nil {
			return nil, err
		}
		specName := name
		if v == apiversion.V2024_06_20 {
			specName = "2024-09-30.acacia"
		}
		var spec struct {
			Components struct {
				Schemas map[string]*specSchema `json:"schemas"`
			} `json:"components"`
		}
		if err := readJSONFile(filepath.Join(openapiDir, "spec3-"+specName+".trimmed.json"), &spec); err != nil {
			return nil, err
		}
		out[name] = &snapshotShapes{objects: cat.Objects, spec: spec.Components.Schemas}
	}
	return out, nil
})

// flux are, per object, the fields a unit changes between the version a
// snapshot describes and v (either way): the unit decides them.
func flux(base, v apiversion.Version) map[string]map[string]bool {
	described := base
	if base == apiversion.V2025_03_31_Basil {
		// The 2025-05-28 file is an early cut (Info.Catalogue): it has
		// 2025-04-30's automatic_tax.provider but not 2025-05-28's
		// billing_thresholds.
		described = apiversion.V2025_04_30_Basil
	}
	lo, hi := min(described, v), max(described, v)
	out := map[string]map[string]bool{}
	for _, c := range apiversion.Changes() {
		if c.At <= lo || c.At > hi {
			continue
		}
		for _, e := range c.Fields {
			if out[e.Object] == nil {
				out[e.Object] = map[string]bool{}
			}
			out[e.Object][e.Path] = true
		}
	}
	return out
}

// derivedOnly are fields the spec files from acacia on leave out although
// Stripe still sends them and the SDKs type them (deprecated fields the
// public spec hides; design-15 §2.0): not API changes.
var derivedOnly = map[string][]string{
	"subscription_item": {"plan"},
	"line_item":         {"plan"},
	"invoiceitem":       {"plan"},
	"price":             {"recurring.trial_period_days"},
	"product":           {"type"},
}

// shapeCheck checks responses at one version.
type shapeCheck struct {
	v        apiversion.Version
	shapes   *snapshotShapes
	flux     map[string]map[string]bool
	problems map[string]bool
}

func newShapeCheck(all map[string]*snapshotShapes, v apiversion.Version) *shapeCheck {
	base := apiversion.CatalogueBase(v)
	return &shapeCheck{v: v, shapes: all[base.Info().Catalogue], flux: flux(base, v), problems: map[string]bool{}}
}

func (sc *shapeCheck) report(format string, args ...any) {
	sc.problems[fmt.Sprintf("%s: ", sc.v)+fmt.Sprintf(format, args...)] = true
}

// response checks a response body: an object of the API, a list of them, an
// event, a deleted object or an error.
func (sc *shapeCheck) response(body any, at map[apiversion.Version]*shapeCheck, all map[string]*snapshotShapes) {
	m, ok := body.(map[string]any)
	if !ok {
		return
	}
	if _, ok := m["error"].(map[string]any); ok && len(m) == 1 {
		if s := sc.shapes.objects["error"]; s != nil {
			sc.walk("error", "", s, m)
		}
		return
	}
	name, _ := m["object"].(string)
	switch {
	case name == "list" || name == "search_result":
		data, _ := m["data"].([]any)
		for _, d := range data {
			sc.response(d, at, all)
		}
		return
	case name == "event":
		if v, ok := apiversion.Parse(fmt.Sprint(m["api_version"])); ok {
			if at[v] == nil {
				at[v] = newShapeCheck(all, v)
			}
			if data, ok := m["data"].(map[string]any); ok {
				at[v].object(data["object"])
			}
		}
		if s := sc.shapes.objects["event"]; s != nil {
			sc.walk("event", "", s, m)
		}
		return
	}
	sc.object(m)
}

// object checks an API object by its object name.
func (sc *shapeCheck) object(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	name, _ := m["object"].(string)
	if m["deleted"] == true {
		name = "deleted_" + name
	}
	s := sc.shapes.objects[name]
	if s == nil {
		return // not in the catalogue: the emulator's own, v2, a nested raw event object
	}
	sc.walk(name, "", s, m)
	if spec := sc.shapes.spec[name]; spec != nil {
		var problems []string
		nullProblems(sc.shapes.spec, spec, m, name, &problems)
		for _, p := range problems {
			if !sc.inFlux(name, strings.TrimPrefix(p, name+".")) {
				sc.report("%s", p)
			}
		}
	}
}

// inFlux reports whether a unit between the snapshot and the version changes
// the field at rel (a dotted path below the object, perhaps deeper).
func (sc *shapeCheck) inFlux(obj, rel string) bool {
	rel, _, _ = strings.Cut(rel, ":")
	rel = strings.TrimSpace(rel)
	for path := range sc.flux[obj] {
		if rel == path || strings.HasPrefix(rel, path+".") || strings.HasPrefix(rel, path+"[") {
			return true
		}
	}
	return false
}

func (sc *shapeCheck) derived(obj, rel string) bool {
	return sc.v > apiversion.V2024_06_20 && slices.Contains(derivedOnly[obj], rel)
}

// walk checks value v against shape s; obj is the object being walked and rel
// the path of v in it ("" for the object itself).
func (sc *shapeCheck) walk(obj, rel string, s *shape, v any) {
	where := obj
	if rel != "" {
		where = obj + "." + rel
	}
	if v == nil && s.Resource != "" {
		return // a reference that is not set (the catalogue leaves nullable to the resource's users)
	}
	if s.Resource != "" {
		r := sc.shapes.objects[s.Resource]
		if r == nil {
			return
		}
		if m, ok := v.(map[string]any); ok {
			if name, _ := m["object"].(string); name != "" {
				sc.object(m)
				return
			}
		}
		s = r
	}
	if v == nil {
		if !s.Nullable && s.Type != "" && len(s.AnyOf) == 0 {
			sc.report("%s: null, but Stripe never sends null here", where)
		}
		return
	}
	if len(s.AnyOf) > 0 {
		best := -1
		var bestProblems map[string]bool
		for _, alt := range s.AnyOf {
			try := &shapeCheck{v: sc.v, shapes: sc.shapes, flux: sc.flux, problems: map[string]bool{}}
			try.walk(obj, rel, alt, v)
			if best < 0 || len(try.problems) < best {
				best, bestProblems = len(try.problems), try.problems
			}
		}
		for p := range bestProblems {
			sc.problems[p] = true
		}
		return
	}
	if len(s.ExpandableTo) > 0 {
		switch x := v.(type) {
		case string:
			return // an ID
		case map[string]any:
			sc.object(x)
			return
		}
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			sc.report("%s: not an object", where)
			return
		}
		if len(s.Properties) == 0 {
			return
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok && !sc.inFlux(obj, join(rel, r)) && !(obj == "invoice" && rel == "" && r == "id") {
				sc.report("%s.%s: missing", where, r)
			}
		}
		for k, val := range m {
			ps := s.Properties[k]
			switch {
			case obj == "event" && join(rel, k) == "data.object":
				// checked as its own object, at the event's version
			case ps == nil && k == "total_count" && m["object"] == "list":
				// embedded lists carry total_count, though the shapes leave it out
			case ps == nil && (sc.inFlux(obj, join(rel, k)) || sc.derived(obj, join(rel, k))):
			case ps == nil:
				sc.report("%s.%s: not a field of %s at this version", where, k, where)
			case sc.inFlux(obj, join(rel, k)):
				// the unit's, whose own tests check it
			default:
				sc.walk(obj, join(rel, k), ps, val)
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			sc.report("%s: not an array", where)
			return
		}
		if s.Items != nil {
			for _, e := range arr {
				sc.walk(obj, rel, s.Items, e)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			sc.report("%s: not a string", where)
			return
		}
		if len(s.Enum) > 0 && !(obj == "event" && rel == "type") && !slices.ContainsFunc(s.Enum, func(e any) bool { return e == str }) {
			sc.report("%s: %q is not one of its values", where, str)
		}
	case "integer", "number":
		if _, ok := v.(float64); !ok {
			sc.report("%s: not a number", where)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			sc.report("%s: not a boolean", where)
		}
	}
}

func join(rel, k string) string {
	if rel == "" {
		return k
	}
	return rel + "." + k
}

// shapeRecorder checks the responses of one test's emulator, per version,
// and reports what it found when the test ends.
type shapeRecorder struct {
	mu     sync.Mutex
	all    map[string]*snapshotShapes
	at     map[apiversion.Version]*shapeCheck
	seen   int
	closed bool
}

// maxCheckedResponses bounds the responses one emulator's checks read (the
// load and soak tests send many alike).
const maxCheckedResponses = 5000

func newShapeRecorder(t *testing.T) *shapeRecorder {
	all, err := loadSnapshotShapes()
	if err != nil {
		return nil // ../shared is absent: TestShapesAtEveryVersion says so
	}
	r := &shapeRecorder{all: all, at: map[apiversion.Version]*shapeCheck{}}
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.closed = true
		var problems []string
		for _, sc := range r.at {
			for p := range sc.problems {
				problems = append(problems, p)
			}
		}
		if len(problems) > 0 {
			sort.Strings(problems)
			if len(problems) > 30 {
				problems = append(problems[:30], fmt.Sprintf("… and %d more", len(problems)-30))
			}
			t.Errorf("responses that do not match Stripe's shapes at their API version:\n  %s", strings.Join(problems, "\n  "))
		}
	})
	return r
}

// note checks one response body served at the version its header names.
func (r *shapeRecorder) note(header http.Header, body []byte) {
	if r == nil || len(body) == 0 || body[0] != '{' {
		return
	}
	v, ok := apiversion.Parse(header.Get("Stripe-Version"))
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.seen >= maxCheckedResponses {
		return
	}
	r.seen++
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return
	}
	if r.at[v] == nil {
		r.at[v] = newShapeCheck(r.all, v)
	}
	r.at[v].response(doc, r.at, r.all)
}

// noteDelivery checks a webhook delivery's body: an event, whose data.object
// is checked at its api_version (an endpoint's own, which GET /v1/events does
// not show when it is not the account's default).
func (r *shapeRecorder) noteDelivery(body []byte) {
	var probe struct {
		APIVersion string `json:"api_version"`
	}
	if r == nil || json.Unmarshal(body, &probe) != nil {
		return
	}
	r.note(http.Header{"Stripe-Version": {probe.APIVersion}}, body)
}

// recordingTransport hands the responses a client reads to a recorder.
type recordingTransport struct {
	next http.RoundTripper
	rec  *shapeRecorder
}

func (rt recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(req)
	if err != nil || rt.rec == nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	rt.rec.note(resp.Header, body)
	return resp, nil
}

// The same objects, rendered at every version, each checked against its
// version's shapes.
func TestShapesAtEveryVersion(t *testing.T) {
	all, err := loadSnapshotShapes()
	if err != nil {
		testnote.Skip(t, fmt.Sprintf("the catalogues and trimmed specs are absent (%v): no test checks responses against each version's shapes", err))
	}
	e := newEnvWithCard(t)
	fx := alpaca(t, e)
	tok := versionFixtures(t, e)
	e.postAt("/v1/billing/meter_events", "event_name=alpaca_ai_tokens&payload[stripe_customer_id]="+fx.customer+"&payload[value]=3000", "2024-06-20", 200)
	alert := e.postAt("/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold_config[gte]=10&usage_threshold_config[meter]="+fx.meter+"&usage_threshold_config[recurrence]=one_time&filter[customer]="+fx.customer, "2024-06-20", 200).json["id"].(string)
	ii := e.postAt("/v1/invoiceitems", tok.Replace("customer=@cus&price=@oneoff&subscription=@sub"), "2024-06-20", 200).json["id"].(string)
	inv := e.postAt("/v1/invoices", tok.Replace("customer=@cus&pending_invoice_items_behavior=include"), "2024-06-20", 200).json["id"].(string)
	e.postAt("/v1/invoices/"+inv+"/finalize", "", "2024-06-20", 200)
	clock := e.postAt("/v1/test_helpers/test_clocks", "frozen_time=1719792000", "2024-06-20", 200).json["id"].(string)
	hook := e.postAt("/v1/webhook_endpoints", "url=https://example.com/h&enabled_events[]=*", "2024-06-20", 200).json["id"].(string)
	gets := []string{
		"/v1/customers/" + fx.customer, "/v1/products/" + tok.Replace("@prod"), "/v1/prices/" + fx.price, "/v1/prices?limit=5",
		"/v1/subscriptions/" + fx.sub, "/v1/subscriptions/" + tok.Replace("@sub"), "/v1/subscription_items/" + fx.item,
		"/v1/billing/meters/" + fx.meter, "/v1/billing/alerts/" + alert, "/v1/invoiceitems/" + ii, "/v1/invoices/" + inv,
		"/v1/invoices/" + inv + "/lines", "/v1/test_helpers/test_clocks/" + clock, "/v1/webhook_endpoints/" + hook, "/v1/events?limit=30",
	}
	for v := apiversion.Version(0); v < apiversion.Count; v++ {
		t.Run(v.String(), func(t *testing.T) {
			sc := newShapeCheck(all, v)
			at := map[apiversion.Version]*shapeCheck{}
			for _, p := range gets {
				sc.response(e.getAt(p, v.String()), at, all)
			}
			preview := e.postAt("/v1/invoices/create_preview", "subscription="+fx.sub, v.String(), 200)
			sc.response(preview.json, at, all)
			var problems []string
			for _, c := range append(slices.Collect(maps.Values(at)), sc) {
				for p := range c.problems {
					problems = append(problems, p)
				}
			}
			sort.Strings(problems)
			if len(problems) > 0 {
				t.Errorf("%d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
			}
		})
	}
}
