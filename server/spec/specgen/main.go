// Command specgen extracts the request-parameter schemas of Stripe's operations
// catalogue (../shared/stripe-openapi/operations-2024-06-20.json) into
// server/spec/operations.json, which the emulator embeds. Run it through
// `go generate ./server/spec` when the catalogue changes.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
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

func main() {
	in := flag.String("in", "../../../shared/stripe-openapi/operations-2024-06-20.json", "the catalogue")
	out := flag.String("out", "operations.json", "where to write the extract")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	extract, err := Extract(data)
	if err != nil {
		return err
	}
	return os.WriteFile(out, extract, 0o644)
}

// Extract keeps what the emulator needs of each operation, one operation a line.
func Extract(catalogue []byte) ([]byte, error) {
	var doc struct {
		Operations []operation `json:"operations"`
	}
	if err := json.Unmarshal(catalogue, &doc); err != nil {
		return nil, err
	}
	if len(doc.Operations) == 0 {
		return nil, fmt.Errorf("no operations in the catalogue")
	}
	buf := []byte("[\n")
	for i, op := range doc.Operations {
		line, err := json.Marshal(op)
		if err != nil {
			return nil, err
		}
		buf = append(buf, line...)
		if i < len(doc.Operations)-1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
	}
	return append(buf, "]\n"...), nil
}
