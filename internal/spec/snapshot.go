package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The catalogues of later API versions (operations-<version>.json, spec-derived)
// cover more operations than the emulator serves; ExtractSnapshot keeps the
// served ones, and puts back the deprecated parameters the spec hides but the
// SDKs still type and send.

// ServedBeyond are the served operations ("METHOD /path") that 2024-06-20
// does not have (the emulator serves them there with schemas of its own);
// with every operation of the 2024-06-20 catalogue and FromAcacia, they are
// what a snapshot extract keeps. A server test checks this against its
// routes.
var ServedBeyond = []string{
	"POST /v1/billing/alerts",
	"GET /v1/billing/alerts",
	"GET /v1/billing/alerts/{id}",
	"POST /v1/billing/alerts/{id}/activate",
	"POST /v1/billing/alerts/{id}/deactivate",
	"POST /v1/billing/alerts/{id}/archive",
	"POST /v1/invoices/{invoice}/send",
	"POST /v1/invoices/{invoice}/lines/{line_item_id}",
	"POST /v1/subscriptions/{subscription}/migrate",
	"GET /v1/invoice_payments",
	"GET /v1/invoice_payments/{invoice_payment}",
}

// Deprecated are the parameters the spec-derived catalogues (2024-09-30.acacia
// on) leave out although every SDK since still types them: spec3.json hides
// deprecated parameters ("items[].plan", product "type"…), which Stripe still
// accepts (../shared/stripe-openapi/README.md, "Differences … that are not API
// changes"). ExtractSnapshot copies each, by route and dotted path, from the
// 2024-06-20 catalogue into a snapshot whose parent object lacks it.
var Deprecated = []struct{ Route, Path string }{
	{"POST /v1/subscriptions", "items.plan"},
	{"POST /v1/subscriptions/{subscription_exposed_id}", "items.plan"},
	{"GET /v1/subscriptions", "plan"},
	{"POST /v1/subscription_items", "plan"},
	{"POST /v1/subscription_items/{item}", "plan"},
	{"POST /v1/invoices/create_preview", "subscription_details.items.plan"},
	{"GET /v1/invoices/upcoming", "subscription_details.items.plan"},
	{"GET /v1/invoices/upcoming", "subscription_items.plan"},
	{"GET /v1/invoices/upcoming", "subscription_trial_from_plan"},
	{"GET /v1/invoices/upcoming/lines", "subscription_details.items.plan"},
	{"GET /v1/invoices/upcoming/lines", "subscription_items.plan"},
	{"GET /v1/invoices/upcoming/lines", "subscription_trial_from_plan"},
	{"POST /v1/products", "type"},
	{"GET /v1/products", "type"},
	{"POST /v1/customers", "validate"},
	{"POST /v1/customers/{customer}", "validate"},
	{"POST /v1/prices", "recurring.trial_period_days"},
}

// snapshotOp is an operation of a snapshot extract, its parameters decoded
// so that deprecated ones can be put back.
type snapshotOp struct {
	Method         string         `json:"method"`
	Path           string         `json:"path"`
	OperationID    string         `json:"operationId"`
	PathParams     []string       `json:"path_params"`
	RequiredParams []string       `json:"required_params"`
	Params         map[string]any `json:"params"`
	Response       string         `json:"response"`
}

// ExtractSnapshot keeps, of a later version's catalogue, the operations the
// emulator serves, with the Deprecated parameters copied from the 2024-06-20
// catalogue (base), one operation a line, in the catalogue's order.
func ExtractSnapshot(catalogue, base []byte) ([]byte, error) {
	var doc, baseDoc struct {
		Operations []snapshotOp `json:"operations"`
	}
	if err := json.Unmarshal(catalogue, &doc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(base, &baseDoc); err != nil {
		return nil, fmt.Errorf("the 2024-06-20 catalogue: %w", err)
	}
	served := map[string]bool{}
	baseOps := map[string]snapshotOp{}
	for _, op := range baseDoc.Operations {
		route := op.Method + " " + op.Path
		served[route], baseOps[route] = true, op
	}
	for _, r := range slices.Concat(FromAcacia, ServedBeyond) {
		served[r] = true
	}
	var kept []snapshotOp
	for _, op := range doc.Operations {
		if served[op.Method+" "+op.Path] {
			kept = append(kept, op)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("no served operation in the catalogue")
	}
	for _, d := range Deprecated {
		b, ok := baseOps[d.Route]
		if !ok {
			return nil, fmt.Errorf("deprecated parameter %s %s: no such operation in the 2024-06-20 catalogue", d.Route, d.Path)
		}
		from := lookupRaw(b.Params, d.Path)
		if from == nil {
			return nil, fmt.Errorf("deprecated parameter %s %s: not in the 2024-06-20 catalogue", d.Route, d.Path)
		}
		for i := range kept {
			if kept[i].Method+" "+kept[i].Path == d.Route {
				putRaw(kept[i].Params, d.Path, from)
			}
		}
	}
	lines := make([]any, len(kept))
	for i, op := range kept {
		lines[i] = op
	}
	return oneALine(lines)
}

// lookupRaw finds a dotted parameter in decoded catalogue params.
func lookupRaw(params map[string]any, dotted string) any {
	parts := strings.Split(dotted, ".")
	props := params
	for i, part := range parts {
		s, ok := props[part]
		if !ok {
			return nil
		}
		if i == len(parts)-1 {
			return s
		}
		if props = rawProps(s); props == nil {
			return nil
		}
	}
	return nil
}

// putRaw sets a dotted parameter if its parent object exists and lacks it.
func putRaw(params map[string]any, dotted string, schema any) {
	parts := strings.Split(dotted, ".")
	props := params
	for _, part := range parts[:len(parts)-1] {
		if props = rawProps(props[part]); props == nil {
			return
		}
	}
	if _, exists := props[parts[len(parts)-1]]; !exists {
		props[parts[len(parts)-1]] = schema
	}
}

// removeRaw deletes a dotted parameter from decoded catalogue params,
// reporting whether it was there.
func removeRaw(params map[string]any, dotted string) bool {
	parts := strings.Split(dotted, ".")
	props := params
	for _, part := range parts[:len(parts)-1] {
		if props = rawProps(props[part]); props == nil {
			return false
		}
	}
	last := parts[len(parts)-1]
	if _, ok := props[last]; !ok {
		return false
	}
	delete(props, last)
	return true
}

// rawProps is the properties of a decoded object schema, looking through
// arrays and anyOf alternatives (the first object).
func rawProps(s any) map[string]any {
	m, ok := s.(map[string]any)
	if !ok {
		return nil
	}
	if items, ok := m["items"]; ok && m["type"] == "array" {
		return rawProps(items)
	}
	if alts, ok := m["anyOf"].([]any); ok {
		for _, a := range alts {
			if p := rawProps(a); p != nil {
				return p
			}
		}
		return nil
	}
	props, _ := m["properties"].(map[string]any)
	return props
}
