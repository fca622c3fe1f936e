// Command specgen extracts the request-parameter schemas of Stripe's operations
// catalogue (../shared/stripe-openapi/operations-2024-06-20.json) into
// internal/spec/operations.json, which the emulator embeds. Run it through
// `go generate ./internal/spec` when the catalogue changes.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/stripe-emulator/stripe-emulator/internal/spec"
)

func main() {
	in := flag.String("in", "../../../shared/stripe-openapi/operations-2024-06-20.json", "the catalogue")
	out := flag.String("out", "operations.json", "where to write the extract")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err == nil {
		var extract []byte
		if extract, err = spec.Extract(data); err == nil {
			err = os.WriteFile(*out, extract, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}
