package server

import (
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

func TestPresentAt(t *testing.T) {
	added := func(at apiversion.Version) fieldEdit { return fieldEdit{at: at, kind: apiversion.FieldAdded} }
	removed := func(at apiversion.Version) fieldEdit { return fieldEdit{at: at, kind: apiversion.FieldRemoved} }
	tests := []struct {
		name  string
		edits []fieldEdit
		at    apiversion.Version
		want  bool
	}{
		{"no edit: every version", nil, apiversion.Latest, true},
		{"added: not before", []fieldEdit{added(apiversion.V2025_03_31_Basil)}, apiversion.V2025_02_24_Acacia, false},
		{"added: from its version", []fieldEdit{added(apiversion.V2025_03_31_Basil)}, apiversion.V2025_03_31_Basil, true},
		{"removed: before", []fieldEdit{removed(apiversion.V2025_03_31_Basil)}, apiversion.V2024_06_20, true},
		{"removed: from its version", []fieldEdit{removed(apiversion.V2025_03_31_Basil)}, apiversion.V2025_03_31_Basil, false},
		{"removed then back: between", []fieldEdit{removed(apiversion.V2025_03_31_Basil), added(apiversion.V2025_05_28_Basil)}, apiversion.V2025_04_30_Basil, false},
		{"removed then back: after", []fieldEdit{removed(apiversion.V2025_03_31_Basil), added(apiversion.V2025_05_28_Basil)}, apiversion.V2025_05_28_Basil, true},
		{"removed then back: before", []fieldEdit{removed(apiversion.V2025_03_31_Basil), added(apiversion.V2025_05_28_Basil)}, apiversion.V2024_06_20, true},
		{"expandable only: every version", []fieldEdit{{at: apiversion.V2025_12_15_Clover, kind: apiversion.FieldExpandable}}, apiversion.V2024_06_20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := presentAt(tt.edits, tt.at); got != tt.want {
				t.Errorf("presentAt(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

type plannedRecord struct{ a, b string }

func TestCompileShape(t *testing.T) {
	get := func(v string) func(*renderCtx, *plannedRecord) any {
		return func(*renderCtx, *plannedRecord) any { return v }
	}
	fields := []field[*plannedRecord]{
		{name: "id", get: get("x")},
		{name: "new", get: get("n")},
		{name: "nested", sub: []field[*plannedRecord]{{name: "inner", get: get("i")}, {name: "old", get: get("o")}}},
		{name: "optional", get: func(_ *renderCtx, r *plannedRecord) any { return orAbsent(r.a) }},
		{name: "pending", fixed: fixedNull, nulled: true},
	}
	edits := map[string][]fieldEdit{
		"new":             {{at: apiversion.V2025_03_31_Basil, kind: apiversion.FieldAdded, unit: "u1"}},
		"nested.old":      {{at: apiversion.V2024_09_30_Acacia, kind: apiversion.FieldRemoved, unit: "u2"}},
		"pending.deep.er": {{at: apiversion.V2024_09_30_Acacia, kind: apiversion.FieldAdded, unit: "u3"}},
	}
	s := compileShape("thing", fields, edits)
	if s.err != nil {
		t.Fatal(s.err)
	}
	render := func(v apiversion.Version, r *plannedRecord) string {
		return string(jsonobj.Marshal(s.render(&renderCtx{v: v}, r)))
	}
	for _, tt := range []struct {
		v    apiversion.Version
		r    plannedRecord
		want string
	}{
		{apiversion.V2024_06_20, plannedRecord{}, `{"id":"x","nested":{"inner":"i","old":"o"},"pending":null}`},
		{apiversion.V2024_09_30_Acacia, plannedRecord{a: "A"}, `{"id":"x","nested":{"inner":"i"},"optional":"A","pending":null}`},
		{apiversion.V2025_03_31_Basil, plannedRecord{}, `{"id":"x","new":"n","nested":{"inner":"i"},"pending":null}`},
	} {
		if got := render(tt.v, &tt.r); got != tt.want {
			t.Errorf("at %v: %s, want %s", tt.v, got, tt.want)
		}
	}
	// Versions with the same fields share one plan.
	if &s.plans[apiversion.V2024_10_28_Acacia][0] != &s.plans[apiversion.V2025_02_24_Acacia][0] {
		t.Error("the acacia versions do not share a plan")
	}
	if &s.plans[apiversion.V2025_02_24_Acacia][0] == &s.plans[apiversion.V2025_03_31_Basil][0] {
		t.Error("acacia and basil share a plan, though basil adds a field")
	}
	if !s.has(apiversion.V2025_03_31_Basil, "new") || s.has(apiversion.V2025_02_24_Acacia, "new") || s.has(apiversion.V2024_09_30_Acacia, "nested.old") {
		t.Error("has does not follow the plans")
	}
}

func TestCompileShapeRefuses(t *testing.T) {
	fields := []field[*plannedRecord]{{name: "id", fixed: fixedNull}}
	for _, tt := range []struct {
		name  string
		edits map[string][]fieldEdit
		want  string
	}{
		{"a field the shape lacks", map[string][]fieldEdit{"gone": {{at: 1, kind: apiversion.FieldRemoved, unit: "u"}}}, "the unit u changes gone, which the shape does not have"},
		{"a nested field the shape lacks", map[string][]fieldEdit{"id.inner": {{at: 1, kind: apiversion.FieldAdded, unit: "u"}}}, "changes id.inner"},
		{"a kind no shape renders", map[string][]fieldEdit{"id": {{at: 1, kind: apiversion.FieldRenamed, unit: "u"}}}, "in a way (kind"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := compileShape("thing", fields, tt.edits)
			if s.err == nil || !strings.Contains(s.err.Error(), tt.want) {
				t.Errorf("err = %v, want one saying %q", s.err, tt.want)
			}
		})
	}
}

// Every object a unit changes renders through a shape that binds the change,
// or is named as waiting for one.
func TestShapesBindEveryUnit(t *testing.T) {
	if err := checkShapes(resources); err != nil {
		t.Fatal(err)
	}
	var without []anyResource
	for _, r := range resources {
		if r != anyResource(customerResource) {
			without = append(without, r)
		}
	}
	without = append(without, &resource[*plannedRecord]{resourceDesc: resourceDesc{name: "customer"}})
	err := checkShapes(without)
	if err == nil || !strings.Contains(err.Error(), "the unit clover.customer-names changes customer.business_name, which no resource renders through a shape") {
		t.Errorf("a customer without a shape: %v", err)
	}
	for obj := range unshapedObjects {
		for _, r := range resources {
			if r.desc().name == obj && r.shape() != nil {
				t.Errorf("%s has a shape: take it off unshapedObjects", obj)
			}
		}
	}
}
