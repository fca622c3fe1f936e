package spec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// The shared catalogue sits beside the repository; tests skip where it is absent.
var cataloguePath = filepath.Join("..", "..", "..", "shared", "stripe-openapi", "operations-2024-06-20.json")

func TestEmbeddedExtractIsCurrent(t *testing.T) {
	data, err := os.ReadFile(cataloguePath)
	if err != nil {
		testnote.Skip(t, fmt.Sprintf("the operations catalogue is absent (%v): internal/spec/operations.json is not checked against it", err))
	}
	want, err := Extract(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, JSON()) {
		t.Fatalf("internal/spec/operations.json is stale: run go generate ./internal/spec")
	}
}

func TestOperationsCompile(t *testing.T) {
	ops, err := Operations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 72 {
		t.Errorf("%d operations, want 72", len(ops))
	}
	op := ops["PostCustomers"]
	if op == nil || op.Method != "POST" || op.Path != "/v1/customers" || op.Params.Prop("email") == nil {
		t.Fatalf("PostCustomers: %+v", op)
	}
	if ops["PostBillingMeterEvents"].Params.Required[0] != "event_name" {
		t.Errorf("required params lost")
	}
}
