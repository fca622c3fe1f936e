package server

import (
	"reflect"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/spec"
)

// subscriptionForm decodes a form body as POST /v1/subscriptions/{id} does
// (Stripe's schema of the operation).
func subscriptionForm(t *testing.T, body string) *form.Params {
	t.Helper()
	ops, err := spec.Operations()
	if err != nil {
		t.Fatal(err)
	}
	tree, aerr := form.Parse(body)
	if aerr != nil {
		t.Fatal(aerr)
	}
	p, aerr := form.Validate(tree, ops["PostSubscriptionsSubscriptionExposedId"].Params)
	if aerr != nil {
		t.Fatal(aerr)
	}
	return p
}

func TestDecodeMetadata(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		at         func(*form.Params) *form.Params // the object holding metadata (nil: the top level)
		want       metadata.Patch
	}{
		{"not sent", "description=x", nil, metadata.Patch{}},
		{"nothing sent", "", nil, metadata.Patch{}},
		{"metadata= clears", "metadata=", nil, metadata.Patch{Given: true, Clear: true, Param: "metadata"}},
		{"keys set and removed", "metadata[a]=1&metadata[b]=", nil,
			metadata.Patch{Given: true, Param: "metadata", Keys: map[string]string{"a": "1", "b": ""}}},
		{"nested: the path names the element", "items[0][price]=p&items[1][metadata][k]=v",
			func(p *form.Params) *form.Params { return p.Objects("items")[1] },
			metadata.Patch{Given: true, Param: "items[1][metadata]", Keys: map[string]string{"k": "v"}}},
		{"nested, cleared", "items[0][metadata]=",
			func(p *form.Params) *form.Params { return p.Objects("items")[0] },
			metadata.Patch{Given: true, Clear: true, Param: "items[0][metadata]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := subscriptionForm(t, tt.body)
			if tt.at != nil {
				p = tt.at(p)
			}
			if got := decodeMetadata(p, "metadata"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := decodeMetadata(nil, "metadata"); !reflect.DeepEqual(got, metadata.Patch{}) {
		t.Errorf("no parameters at all: got %+v, want the zero Patch", got)
	}
}
