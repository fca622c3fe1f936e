// Package spec holds the request-parameter schemas of Stripe's API version
// 2024-06-20 for the operations the emulator serves, extracted from the
// operations catalogue in ../shared/stripe-openapi by specgen.
package spec

//go:generate go run ./specgen -in ../../../shared/stripe-openapi/operations-2024-06-20.json -out operations.json

import (
	_ "embed"
	"sync"

	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

//go:embed operations.json
var operationsJSON []byte

// JSON is the embedded extract, as specgen wrote it.
func JSON() []byte { return operationsJSON }

var load = sync.OnceValues(func() (map[string]*form.Operation, error) {
	return form.LoadCatalogue(operationsJSON)
})

// Operations returns the compiled operations by operationId. The result is shared
// and must not be modified; Clone a schema before changing it.
func Operations() (map[string]*form.Operation, error) { return load() }
