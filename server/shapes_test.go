package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// The catalogue of response shapes sits beside the repository in ../shared.
// Where it is absent, checkShape checks nothing (the rest of each test runs)
// and TestShapesCustomersAndProducts skips, saying so.
var catalogueFile = filepath.Join("..", "..", "shared", "stripe-openapi", "operations-2024-06-20.json")

// shape is a response shape of a catalogue (its objects{}).
type shape struct {
	Type         string            `json:"type"`
	Properties   map[string]*shape `json:"properties"`
	Required     []string          `json:"required"`
	Nullable     bool              `json:"nullable"`
	Items        *shape            `json:"items"`
	Resource     string            `json:"$resource"`
	Enum         []any             `json:"enum"`
	AnyOf        []*shape          `json:"anyOf"`
	ExpandableTo []string          `json:"expandable_to"`
}

var loadShapes = sync.OnceValues(func() (map[string]*shape, error) {
	var doc, acacia struct {
		Objects map[string]*shape `json:"objects"`
	}
	if err := readJSONFile(catalogueFile, &doc); err != nil {
		return nil, err
	}
	// The objects the 2024-06-20 catalogue lacks (the payment side) from the
	// acacia one, as the emulator's extract takes their operations
	// (spec.FromAcacia).
	if err := readJSONFile(acaciaCatalogueFile, &acacia); err != nil {
		return nil, err
	}
	for name, s := range acacia.Objects {
		if doc.Objects[name] == nil {
			doc.Objects[name] = s
		}
	}
	return doc.Objects, nil
})

var acaciaCatalogueFile = filepath.Join(filepath.Dir(catalogueFile), "operations-2024-09-30.acacia.json")

// readJSONFile decodes a JSON file into v.
func readJSONFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// checkShape asserts that a rendered object has every field Stripe always sends
// (at every level), no field Stripe does not know, and the right JSON types.
func checkShape(t *testing.T, object string, body []byte) {
	t.Helper()
	shapes, err := loadShapes()
	if err != nil {
		t.Logf("the shape of %s is not checked: the catalogue is absent (%v)", object, err)
		return
	}
	s := shapes[object]
	if s == nil {
		t.Fatalf("no shape %q in the catalogue", object)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	var problems []string
	compareShape(shapes, s, v, object, &problems)
	report(t, object+" does not match Stripe's shape", problems)
	checkNulls(t, object, v)
}

// report fails the test with the problems found, if any.
func report(t *testing.T, what string, problems []string) {
	t.Helper()
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Errorf("%s:\n  %s", what, strings.Join(problems, "\n  "))
	}
}

// optionalAfterAll are fields the catalogue (from the SDKs' types) lists as
// always present that Stripe leaves out at times: an upcoming invoice has no id
// (the spec makes invoice.id optional: "always present unless the invoice is an
// upcoming invoice").
var optionalAfterAll = map[string]string{"invoice": "id"}

func compareShape(shapes map[string]*shape, s *shape, v any, path string, problems *[]string) {
	if v == nil && (s.Nullable || s.Resource != "") {
		return
	}
	if s.Resource != "" {
		if r := shapes[s.Resource]; r != nil {
			s = r
		} else {
			return
		}
	}
	if v == nil {
		if !s.Nullable && s.Type != "" && path != "" && !strings.HasSuffix(path, "]") {
			// Some fields documented non-null are null in Stripe's own fixtures; report only objects.
			if s.Type == "object" && len(s.Properties) > 0 {
				*problems = append(*problems, path+": null, but Stripe never sends null here")
			}
		}
		return
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			if _, isStr := v.(string); isStr {
				return // an unexpanded reference
			}
			*problems = append(*problems, path+": not an object")
			return
		}
		if len(s.Properties) == 0 {
			return
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok && !optionalField(shapes, s, r) {
				*problems = append(*problems, path+"."+r+": missing")
			}
		}
		for k, val := range m {
			ps := s.Properties[k]
			if ps == nil && k == "total_count" && m["object"] == "list" {
				continue // embedded lists carry total_count on Stripe, though the SDK shapes omit it
			}
			if ps == nil {
				*problems = append(*problems, path+"."+k+": not a field of "+path)
				continue
			}
			compareShape(shapes, ps, val, path+"."+k, problems)
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			*problems = append(*problems, path+": not an array")
			return
		}
		if s.Items != nil {
			for i, e := range arr {
				compareShape(shapes, s.Items, e, path+"["+itoa(int64(i))+"]", problems)
			}
		}
	case "string":
		if _, ok := v.(string); !ok {
			*problems = append(*problems, path+": not a string")
		}
	case "integer", "number":
		if _, ok := v.(float64); !ok {
			*problems = append(*problems, path+": not a number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			*problems = append(*problems, path+": not a boolean")
		}
	}
}

// optionalField reports whether field of shape s is one of optionalAfterAll.
func optionalField(shapes map[string]*shape, s *shape, field string) bool {
	for name, f := range optionalAfterAll {
		if shapes[name] == s && f == field {
			return true
		}
	}
	return false
}

func TestShapesCustomersAndProducts(t *testing.T) {
	if _, err := loadShapes(); err != nil {
		testnote.Skip(t, fmt.Sprintf("the operations catalogue is absent (%v): no test checks response shapes against Stripe's", err))
	}
	e := newEnv(t)
	c := e.do("POST", "/v1/customers", "name=J&email=j%40example.com&address[city]=Paris&shipping[name]=J&shipping[address][line1]=x&invoice_settings[custom_fields][0][name]=a&invoice_settings[custom_fields][0][value]=b&invoice_settings[rendering_options][template]=t&preferred_locales[]=en&metadata[a]=b")
	checkShape(t, "customer", c.body)
	id := c.json["id"].(string)
	d := e.do("DELETE", "/v1/customers/"+id, "")
	checkShape(t, "deleted_customer", d.body)
	p := e.do("POST", "/v1/products", "name=P&images[]=https%3A%2F%2Fx&marketing_features[0][name]=f&package_dimensions[height]=1&package_dimensions[length]=2&package_dimensions[weight]=3&package_dimensions[width]=4&shippable=true")
	checkShape(t, "product", p.body)
	pd := e.do("DELETE", "/v1/products/"+p.json["id"].(string), "")
	checkShape(t, "deleted_product", pd.body)
}

// The nearest spec to 2024-06-20 with Stripe's own required and nullable
// marks: a field it leaves out of required and does not make nullable is one
// Stripe omits rather than sends as null.
var nullSpecFile = filepath.Join("..", "..", "shared", "stripe-openapi", "spec3-2024-09-30.acacia.trimmed.json")

type specSchema struct {
	Ref        string                 `json:"$ref"`
	Nullable   bool                   `json:"nullable"`
	Required   []string               `json:"required"`
	Properties map[string]*specSchema `json:"properties"`
	Items      *specSchema            `json:"items"`
	AnyOf      []*specSchema          `json:"anyOf"`
	ResourceID string                 `json:"x-resourceId"`
}

var loadSpecSchemas = sync.OnceValues(func() (map[string]*specSchema, error) {
	var doc struct {
		Components struct {
			Schemas map[string]*specSchema `json:"schemas"`
		} `json:"components"`
	}
	err := readJSONFile(nullSpecFile, &doc)
	return doc.Components.Schemas, err
})

// checkNulls asserts that a rendered object sends no null where Stripe's spec
// makes the field optional and not nullable (Stripe leaves such a field out).
// Fields the spec does not have (added to it after 2024-06-20, or ours only)
// are not its business; an event's data.object is checked as its own object.
func checkNulls(t *testing.T, object string, v any) {
	t.Helper()
	schemas, err := loadSpecSchemas()
	if err != nil {
		t.Logf("nulls in %s are not checked: Stripe's spec is absent (%v)", object, err)
		return
	}
	s := schemas[object]
	if s == nil {
		t.Fatalf("no schema %q in %s", object, nullSpecFile)
	}
	var problems []string
	nullProblems(schemas, s, v, object, &problems)
	report(t, object+" sends null where Stripe leaves the field out", problems)
}

func resolveSpec(schemas map[string]*specSchema, s *specSchema) *specSchema {
	for i := 0; s != nil && s.Ref != "" && i < 8; i++ {
		s = schemas[s.Ref[strings.LastIndex(s.Ref, "/")+1:]]
	}
	return s
}

// objectBranch is the schema of an object value among a property's anyOf
// branches (an expandable ID or the object; one of several resources).
func objectBranch(schemas map[string]*specSchema, s *specSchema, m map[string]any) *specSchema {
	var only *specSchema
	n := 0
	for _, b := range s.AnyOf {
		b = resolveSpec(schemas, b)
		if b == nil || len(b.Properties) == 0 {
			continue
		}
		if obj, _ := m["object"].(string); obj != "" && b.ResourceID == obj {
			return b
		}
		only, n = b, n+1
	}
	if n == 1 {
		return only
	}
	return nil
}

func nullProblems(schemas map[string]*specSchema, s *specSchema, v any, path string, problems *[]string) {
	s = resolveSpec(schemas, s)
	if s == nil {
		return
	}
	switch x := v.(type) {
	case []any:
		if s.Items != nil {
			for i, e := range x {
				nullProblems(schemas, s.Items, e, path+"["+itoa(int64(i))+"]", problems)
			}
		}
	case map[string]any:
		if len(s.AnyOf) > 0 {
			if s = objectBranch(schemas, s, x); s == nil {
				return
			}
		}
		if x["object"] == "event" {
			if data, ok := x["data"].(map[string]any); ok {
				if obj, ok := data["object"].(map[string]any); ok {
					if name, _ := obj["object"].(string); schemas[name] != nil {
						nullProblems(schemas, schemas[name], obj, path+".data.object", problems)
					}
				}
			}
		}
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		for k, val := range x {
			ps := s.Properties[k]
			if ps == nil {
				continue
			}
			if val == nil {
				if !required[k] && !ps.Nullable {
					*problems = append(*problems, path+"."+k+": null, but the spec makes it optional and not nullable")
				}
				continue
			}
			nullProblems(schemas, ps, val, path+"."+k, problems)
		}
	}
}
