package server

import (
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/spec"
)

// subscriptionForm decodes a form body as POST /v1/subscriptions/{id} does
// (Stripe's schema of the operation).
func subscriptionForm(t *testing.T, body string) *form.Params {
	t.Helper()
	return opForm(t, "PostSubscriptionsSubscriptionExposedId", body)
}

// opForm decodes a form body as the operation of Stripe's catalogue does.
func opForm(t *testing.T, op, body string) *form.Params {
	t.Helper()
	ops, err := spec.Operations()
	if err != nil {
		t.Fatal(err)
	}
	tree, aerr := form.Parse(body)
	if aerr != nil {
		t.Fatal(aerr)
	}
	p, aerr := form.Validate(tree, ops[op].Params)
	if aerr != nil {
		t.Fatal(aerr)
	}
	for _, up := range apiversion.UpgradesFor(ops[op].Method+" "+ops[op].Path, apiversion.V2024_06_20) {
		if aerr := up.Apply(p); aerr != nil { // as decode brings a request to the handlers' shape
			t.Fatal(aerr)
		}
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

// TestDecodeInvoiceItemFields: the decoder copies what the request gave,
// telling a parameter absent, given with a value and given empty, and a
// decimal amount that parses from one that does not (the engine refuses it in
// its place).
func TestDecodeInvoiceItemFields(t *testing.T) {
	amount := func(a billing.AmountInput) billing.AmountInput {
		a.IntParam, a.DecimalParam = "unit_amount", "unit_amount_decimal"
		return a
	}
	for _, tt := range []struct {
		name, body string
		want       billing.InvoiceItemFields
	}{
		{"nothing", "", billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{})}},
		{"values", "quantity=3&amount=500&price=price_1&description=Setup&discountable=false&period[start]=10&period[end]=20",
			billing.InvoiceItemFields{Quantity: billing.Some(int64(3)), Amount: billing.Some(int64(500)), Price: billing.Some("price_1"), PriceParam: "price",
				Description: billing.Some("Setup"), Discountable: billing.Some(false), Period: billing.Some(billing.Period{Start: 10, End: 20}),
				UnitAmount: amount(billing.AmountInput{})}},
		{"a decimal unit amount", "unit_amount_decimal=0.25",
			billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{Decimal: billing.Some("0.25"), Parsed: decimal.RequireFromString("0.25"), Valid: true})}},
		{"a decimal that is not one", "unit_amount_decimal=1e3",
			billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{Decimal: billing.Some("1e3")})}},
		{"an integer unit amount", "unit_amount=7",
			billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{Int: billing.Some(int64(7))})}},
		{"metadata", "metadata[k]=v",
			billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{}), Metadata: metadata.Patch{Given: true, Param: "metadata", Keys: map[string]string{"k": "v"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeInvoiceItemFields(opForm(t, "PostInvoiceitemsInvoiceitem", tt.body))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDecodeOpt: a value given is Set; key= of a parameter that can be
// unset is given empty (Clear), not absent; a string given empty where the
// schema takes "" is the value "".
func TestDecodeOpt(t *testing.T) {
	p := subscriptionForm(t, "cancel_at=&description=&days_until_due=3&cancel_at_period_end=true")
	if got := optInt(p, "cancel_at"); !got.Clear || got.Set || !got.Given() {
		t.Errorf("cancel_at=: %+v, want given empty", got)
	}
	if got := optString(p, "description"); !got.Set || got.V != "" {
		t.Errorf("description=: %+v, want the value \"\"", got)
	}
	if got := optInt(p, "days_until_due"); !got.Set || got.V != 3 {
		t.Errorf("days_until_due=3: %+v", got)
	}
	if got := optBool(p, "cancel_at_period_end"); !got.Set || !got.V {
		t.Errorf("cancel_at_period_end=true: %+v", got)
	}
	if got := optString(p, "collection_method"); got.Given() {
		t.Errorf("collection_method absent: %+v", got)
	}
}
