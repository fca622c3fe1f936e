package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

type operation struct {
	Method         string          `json:"method"`
	Path           string          `json:"path"`
	OperationID    string          `json:"operationId"`
	PathParams     []string        `json:"path_params"`
	RequiredParams []string        `json:"required_params"`
	Params         json.RawMessage `json:"params"`
	Response       string          `json:"response"`
}

// FromAcacia are the served operations that Stripe had at 2024-06-20 but the
// 2024-06-20 catalogue lacks (it holds the 72 billing operations of the
// SDKs): the payment side of issue 16. Extract copies them into
// operations.json from the 2024-09-30.acacia catalogue, the nearest one to
// 2024-06-20 (there is no 2024-06-20 spec, ../shared/stripe-openapi/README.md),
// with Corrections made; every later snapshot keeps them from its own
// catalogue, as it keeps every served operation. Their top-level parameters
// are stripe-node 16's (design-16 §1.1, checked there against its types).
var FromAcacia = []string{
	"POST /v1/payment_methods",
	"GET /v1/payment_methods/{payment_method}",
	"POST /v1/payment_methods/{payment_method}",
	"GET /v1/payment_methods",
	"POST /v1/payment_methods/{payment_method}/attach",
	"POST /v1/payment_methods/{payment_method}/detach",
	"GET /v1/customers/{customer}/payment_methods",
	"GET /v1/customers/{customer}/payment_methods/{payment_method}",
	"POST /v1/setup_intents",
	"GET /v1/setup_intents/{intent}",
	"POST /v1/setup_intents/{intent}",
	"GET /v1/setup_intents",
	"POST /v1/setup_intents/{intent}/confirm",
	"POST /v1/setup_intents/{intent}/cancel",
	"POST /v1/customers/{customer}/balance_transactions",
	"GET /v1/customers/{customer}/balance_transactions/{transaction}",
	"POST /v1/customers/{customer}/balance_transactions/{transaction}",
	"GET /v1/customers/{customer}/balance_transactions",
	"POST /v1/payment_intents",
	"GET /v1/payment_intents/{intent}",
	"POST /v1/payment_intents/{intent}",
	"GET /v1/payment_intents",
	"POST /v1/payment_intents/{intent}/confirm",
	"POST /v1/payment_intents/{intent}/capture",
	"POST /v1/payment_intents/{intent}/cancel",
	"GET /v1/charges/{charge}",
	"POST /v1/charges/{charge}",
	"GET /v1/charges",
	"POST /v1/refunds",
	"GET /v1/refunds/{refund}",
	"POST /v1/refunds/{refund}",
	"GET /v1/refunds",
	"POST /v1/refunds/{refund}/cancel",
}

// Corrections are the parameters of the FromAcacia operations that the
// acacia catalogue has and 2024-06-20's SDKs do not type (stripe-go v79,
// stripe-node 16): spec-only ones, left out of operations.json, by route and
// dotted path. (client_secret on a confirm is for publishable keys, which
// the emulator does not take.)
var Corrections = []struct{ Route, Path string }{
	{"POST /v1/setup_intents/{intent}/confirm", "client_secret"},
	{"POST /v1/payment_intents/{intent}/confirm", "client_secret"},
}

// Extract keeps what the emulator needs of each operation of the 2024-06-20
// catalogue (operations-2024-06-20.json), followed by the FromAcacia
// operations of the acacia catalogue (acacia) with Corrections made, one
// operation a line.
func Extract(catalogue, acacia []byte) ([]byte, error) {
	var doc struct {
		Operations []operation `json:"operations"`
	}
	if err := json.Unmarshal(catalogue, &doc); err != nil {
		return nil, err
	}
	if len(doc.Operations) == 0 {
		return nil, fmt.Errorf("no operations in the catalogue")
	}
	extra, err := fromAcacia(acacia, doc.Operations)
	if err != nil {
		return nil, err
	}
	lines := make([]any, 0, len(doc.Operations)+len(extra))
	for _, op := range doc.Operations {
		lines = append(lines, op)
	}
	for _, op := range extra {
		lines = append(lines, op)
	}
	return oneALine(lines)
}

// fromAcacia is the FromAcacia operations of the acacia catalogue, in the
// list's order, with Corrections made. An operation the 2024-06-20
// catalogue (base) has already, or the acacia one lacks, is an error.
func fromAcacia(acacia []byte, base []operation) ([]snapshotOp, error) {
	var doc struct {
		Operations []snapshotOp `json:"operations"`
	}
	if err := json.Unmarshal(acacia, &doc); err != nil {
		return nil, fmt.Errorf("the acacia catalogue: %w", err)
	}
	for _, op := range base {
		if route := op.Method + " " + op.Path; slices.Contains(FromAcacia, route) {
			return nil, fmt.Errorf("%s: in the 2024-06-20 catalogue already; take it out of FromAcacia", route)
		}
	}
	byRoute := map[string]snapshotOp{}
	for _, op := range doc.Operations {
		byRoute[op.Method+" "+op.Path] = op
	}
	out := make([]snapshotOp, 0, len(FromAcacia))
	for _, route := range FromAcacia {
		op, ok := byRoute[route]
		if !ok {
			return nil, fmt.Errorf("%s: not in the acacia catalogue", route)
		}
		out = append(out, op)
	}
	for _, c := range Corrections {
		i := slices.IndexFunc(out, func(op snapshotOp) bool { return op.Method+" "+op.Path == c.Route })
		if i < 0 {
			return nil, fmt.Errorf("correction %s %s: not a FromAcacia operation", c.Route, c.Path)
		}
		if !removeRaw(out[i].Params, c.Path) {
			return nil, fmt.Errorf("correction %s %s: no such parameter in the acacia catalogue", c.Route, c.Path)
		}
		if !strings.Contains(c.Path, ".") {
			out[i].RequiredParams = slices.DeleteFunc(out[i].RequiredParams, func(p string) bool { return p == c.Path })
		}
	}
	return out, nil
}

// oneALine writes operations as a JSON array, one operation a line.
func oneALine(ops []any) ([]byte, error) {
	buf := []byte("[\n")
	for i, op := range ops {
		line, err := json.Marshal(op)
		if err != nil {
			return nil, err
		}
		buf = append(buf, line...)
		if i < len(ops)-1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
	}
	return append(buf, "]\n"...), nil
}
