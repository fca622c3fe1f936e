package server

import (
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// The expansion walker, on rendered objects with references between them.
func TestExpandWalker(t *testing.T) {
	e := newEnv(t)
	c := &call{s: e.srv}
	loads := 0
	e.srv.loaders = map[string]loader{
		"customer": func(_ *renderCtx, id string) (jsonobj.Obj, error) {
			loads++
			return jsonobj.Obj{{K: "id", V: id}, {K: "object", V: "customer"}, {K: "test_clock", V: "clock_1"}}, nil
		},
		"test_helpers.test_clock": func(_ *renderCtx, id string) (jsonobj.Obj, error) {
			return jsonobj.Obj{{K: "id", V: id}, {K: "object", V: "test_helpers.test_clock"}}, nil
		},
		"product": func(_ *renderCtx, id string) (jsonobj.Obj, error) {
			return jsonobj.Obj{{K: "id", V: id}, {K: "object", V: "product"}, {K: "default_price", V: nil}}, nil
		},
	}
	sub := func() jsonobj.Obj {
		return jsonobj.Obj{
			{K: "id", V: "sub_1"}, {K: "object", V: "subscription"}, {K: "customer", V: "cus_1"}, {K: "latest_invoice", V: nil},
			{K: "items", V: jsonobj.Obj{{K: "object", V: "list"}, {K: "data", V: []jsonobj.Obj{
				{{K: "id", V: "si_1"}, {K: "object", V: "subscription_item"},
					{K: "price", V: jsonobj.Obj{{K: "id", V: "price_1"}, {K: "object", V: "price"}, {K: "product", V: "prod_1"},
						{K: "tiers", V: jsonobj.Hidden{V: []any{}}}}}},
			}}}},
		}
	}
	tests := []struct {
		paths []string
		want  string // a substring of the rendered result
		err   string
	}{
		{[]string{"customer"}, `"customer":{"id":"cus_1","object":"customer","test_clock":"clock_1"}`, ""},
		{[]string{"customer.test_clock"}, `"test_clock":{"id":"clock_1","object":"test_helpers.test_clock"}`, ""},
		{[]string{"items.data.price.product"}, `"product":{"id":"prod_1","object":"product","default_price":null}`, ""},
		{[]string{"items.data.price.tiers"}, `"tiers":[]`, ""},
		{[]string{"latest_invoice"}, `"latest_invoice":null`, ""},
		{[]string{"customer", "customer.test_clock"}, `"test_clock":{"id":"clock_1"`, ""},
		{[]string{"items.data.price"}, `"price":{"id":"price_1"`, ""}, // already an object: nothing to do
		{[]string{"items.data.plan"}, "", "This property cannot be expanded (items.data.plan)."},
		{[]string{"items.data.id"}, "", "This property cannot be expanded (items.data.id)."},
		{[]string{"id"}, "", "This property cannot be expanded (id)."},
		{[]string{"customer.nope"}, "", "This property cannot be expanded (customer.nope)."},
		{[]string{"customer.test_clock.a.b"}, "", "This property cannot be expanded"},
		{[]string{"a.b.c.d.e"}, "", "You cannot expand more than 4 levels"},
	}
	for _, tt := range tests {
		obj := sub()
		err := c.expand(obj, tt.paths)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: err %v, want %q", tt.paths, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.paths, err)
			continue
		}
		if got := string(jsonobj.Marshal(obj)); !strings.Contains(got, tt.want) {
			t.Errorf("%v: %s\nwant it to contain %s", tt.paths, got, tt.want)
		}
	}
	// An expandable field left out (as a subscription line's invoice_item is)
	// stays out, and so does an includable one with nothing to show.
	obj := sub()
	obj = append(obj, jsonobj.Field{K: "tiers_holder", V: jsonobj.Obj{{K: "object", V: "price"}, {K: "tiers", V: jsonobj.Hidden{}}}})
	if err := c.expand(obj, []string{"schedule", "tiers_holder.tiers"}); err != nil {
		t.Fatal(err)
	}
	if got := string(jsonobj.Marshal(obj)); strings.Contains(got, `"schedule":`) || strings.Contains(got, `"tiers":`) {
		t.Errorf("left-out fields appeared: %s", got)
	}
	// A list: data.<field> expands in every element.
	list := jsonobj.Obj{{K: "object", V: "list"}, {K: "data", V: []jsonobj.Obj{sub(), sub()}}}
	loads = 0
	if err := c.expand(list, []string{"data.customer"}); err != nil {
		t.Fatal(err)
	}
	if loads != 2 || strings.Count(string(jsonobj.Marshal(list)), `"customer":{"id":"cus_1"`) != 2 {
		t.Errorf("list expansion: %d loads: %s", loads, jsonobj.Marshal(list))
	}
}

func TestJSONStrings(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         `"plain"`,
		"quote\"back\\": `"quote\"back\\"`,
		"ctl\n\t\r\x01": `"ctl\n\t\r\u0001"`,
		"bad\xffutf8":   `"bad\ufffdutf8"`,
		"é ✓ \u2028":    `"é ✓ \u2028"`,
		"<html>&":       `"<html>&"`,
	} {
		if got := string(jsonobj.AppendString(nil, in)); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
	o := jsonobj.Obj{{K: "a", V: int64(1)}, {K: "b", V: nil}, {K: "h", V: jsonobj.Hidden{V: 1}}, {K: "d", V: jsonobj.Decimal("0.004")},
		{K: "m", V: map[string]string{"z": "1", "a": "2"}}, {K: "l", V: []string(nil)}, {K: "f", V: 1.5}}
	if got := string(jsonobj.Marshal(o)); got != `{"a":1,"b":null,"d":"0.004","m":{"a":"2","z":"1"},"l":[],"f":1.5}` {
		t.Errorf("object: %s", got)
	}
}
