package apiversion

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

func TestRegistryOrder(t *testing.T) {
	if Count != 27 || Latest != Count-1 || Default != V2024_06_20 {
		t.Fatalf("Count %d, Latest %v, Default %v", Count, Latest, Default)
	}
	if V2024_06_20.String() != "2024-06-20" || Latest.String() != "2026-10-28.endive" || V2025_03_31_Basil.String() != "2025-03-31.basil" {
		t.Errorf("names: %v %v %v", V2024_06_20, Latest, V2025_03_31_Basil)
	}
	var prev time.Time
	family := ""
	for v := Version(0); v < Count; v++ {
		info := v.Info()
		date, fam, _ := strings.Cut(info.Name, ".")
		d, err := time.Parse("2006-01-02", date)
		if err != nil {
			t.Fatalf("%s: %v", info.Name, err)
		}
		if !d.After(prev) {
			t.Errorf("%s is not after the version before it", info.Name)
		}
		prev = d
		if fam != info.Family {
			t.Errorf("%s: family %q", info.Name, info.Family)
		}
		if info.Major != (v == 0 || fam != family) {
			t.Errorf("%s: major %v, but the version before it is of family %q", info.Name, info.Major, family)
		}
		family = fam
		if v > 0 && fam == "" {
			t.Errorf("%s: every version after 2024-06-20 has a family", info.Name)
		}
	}
	if Version(Count).String() != "unknown" {
		t.Errorf("out of range: %q", Version(Count).String())
	}
	if got := Names(); len(got) != Count || got[0] != "2024-06-20" || got[Count-1] != "2026-10-28.endive" {
		t.Errorf("Names: %v", got)
	}
}

func TestSnapshotsExist(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "stripe-openapi")
	if _, err := os.Stat(filepath.Join(dir, "operations-2024-06-20.json")); err != nil {
		testnote.Skip(t, fmt.Sprintf("the catalogues are absent (%v): the registry's file names are not checked", err))
	}
	bases := 0
	for v := Version(0); v < Count; v++ {
		info := v.Info()
		for _, name := range []string{info.Snapshot, info.Catalogue} {
			if name == "" {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, "operations-"+name+".json")); err != nil {
				t.Errorf("%s: %v", info.Name, err)
			}
		}
		if info.Catalogue != "" {
			bases++
		}
	}
	if bases != 7 || CatalogueBase(V2024_06_20) != V2024_06_20 {
		t.Errorf("%d catalogue bases", bases)
	}
	for _, tt := range []struct{ v, base Version }{
		{V2024_10_28_Acacia, V2024_09_30_Acacia}, {V2025_02_24_Acacia, V2024_09_30_Acacia},
		{V2025_03_31_Basil, V2025_03_31_Basil}, {V2025_08_27_Basil, V2025_03_31_Basil},
		{V2025_10_29_Clover, V2025_09_30_Clover}, {V2026_04_22_Dahlia, V2025_11_17_Clover},
		{V2026_07_29_Dahlia, V2026_05_27_Dahlia}, {Latest, V2026_08_26_Dahlia},
	} {
		if got := CatalogueBase(tt.v); got != tt.base {
			t.Errorf("CatalogueBase(%v) = %v, want %v", tt.v, got, tt.base)
		}
	}
}

func TestParse(t *testing.T) {
	for v := Version(0); v < Count; v++ {
		if got, ok := Parse(v.String()); !ok || got != v {
			t.Errorf("Parse(%q) = %v, %v", v.String(), got, ok)
		}
	}
	for _, bad := range []string{
		"", "2099-12-31", "2023-10-16", "2025-09-30.acacia", "2025-09-29.clover", "2025-03-31",
		"2019-2-19", "2025-04-30.preview", "2025-03-01.dashboard", "2022-08-01; feature_beta=v3",
		"2025-03-31.BASIL", " 2024-06-20", "2024-06-20 ", "2024-06-20, 2024-06-20", "latest",
	} {
		if v, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) = %v, want refused", bad, v)
		}
	}
}

func TestParseHeader(t *testing.T) {
	for _, tt := range []struct {
		name        string
		values      []string
		v           Version
		present, ok bool
		joined      string
	}{
		{"absent", nil, Default, false, true, ""},
		{"empty", []string{""}, Default, false, true, ""},
		{"one", []string{"2025-03-31.basil"}, V2025_03_31_Basil, true, true, "2025-03-31.basil"},
		{"unknown", []string{"2099-12-31"}, 0, true, false, "2099-12-31"},
		{"two lines", []string{"2024-06-20", "2025-03-31.basil"}, Default, true, false, "2024-06-20, 2025-03-31.basil"},
		{"two equal lines", []string{"2024-06-20", "2024-06-20"}, Default, true, false, "2024-06-20, 2024-06-20"},
		{"joined in one line", []string{"2019-05-16, 2019-12-03"}, 0, true, false, "2019-05-16, 2019-12-03"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, present, ok, joined := ParseHeader(tt.values)
			if present != tt.present || ok != tt.ok || joined != tt.joined || (ok && v != tt.v) {
				t.Errorf("ParseHeader(%q) = %v, %v, %v, %q; want %v, %v, %v, %q", tt.values, v, present, ok, joined, tt.v, tt.present, tt.ok, tt.joined)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	ids := map[string]bool{}
	var prev Version
	gates := map[Gate]string{}
	for i, c := range Changes() {
		if c.At == V2024_06_20 || c.At >= Count {
			t.Errorf("%s: At %d is not a version after 2024-06-20", c.ID, c.At)
			continue
		}
		if c.At < prev {
			t.Errorf("changes[%d] %s (%v) comes after a change of %v", i, c.ID, c.At, prev)
		}
		prev = c.At
		info := c.At.Info()
		prefix := info.Family
		if !info.Major {
			prefix += info.Name[5:7] + info.Name[8:10]
		}
		if !strings.HasPrefix(c.ID, prefix+".") || len(c.ID) == len(prefix)+1 {
			t.Errorf("%s: the ID of a change of %s starts with %q", c.ID, info.Name, prefix+".")
		}
		if ids[c.ID] {
			t.Errorf("%s declared twice", c.ID)
		}
		ids[c.ID] = true
		if c.Summary == "" || c.Ref == "" {
			t.Errorf("%s: no summary or reference", c.ID)
		}
		for _, e := range c.Params {
			if !strings.Contains(e.Route, " /v1/") || e.Path == "" || e.Kind < ParamAdded || e.Kind > ParamEnumAdded {
				t.Errorf("%s: malformed param edit %+v", c.ID, e)
			}
			if (e.Kind == ParamAdded || e.Kind == ParamRetyped) != (e.Schema != nil) || (e.Kind == ParamEnumAdded) != (len(e.Values) > 0) {
				t.Errorf("%s: %s %s: schema or values do not fit its kind", c.ID, e.Route, e.Path)
			}
		}
		for _, e := range c.Routes {
			if !strings.Contains(e.Route, " /v1/") || (e.Kind == RouteRemoved) != (e.Use != "") {
				t.Errorf("%s: malformed route edit %+v", c.ID, e)
			}
		}
		for _, f := range c.Fields {
			if f.Object == "" || f.Path == "" || f.Kind < FieldAdded || f.Kind > FieldExpandable || (f.Kind == FieldRenamed) != (f.From != "") {
				t.Errorf("%s: malformed field edit %+v", c.ID, f)
			}
		}
		for _, g := range c.Gates {
			if other, dup := gates[g]; dup {
				t.Errorf("gate %v declared by %s and %s", g, other, c.ID)
			}
			gates[g] = c.ID
		}
	}
	for g := Gate(0); g < gateCount; g++ {
		if gates[g] == "" {
			t.Errorf("gate %v is declared by no change", g)
		}
	}
}

func TestGates(t *testing.T) {
	for _, tt := range []struct {
		g       Gate
		off, on Version
	}{
		{GatePreviewNeedsTarget, V2025_02_24_Acacia, V2025_03_31_Basil},
		{GateNoLegacyMetered, V2025_02_24_Acacia, V2025_03_31_Basil},
		{GateNoTotalCount, V2025_02_24_Acacia, V2025_03_31_Basil},
		{GateMixedIntervals, V2025_06_30_Basil, V2025_07_30_Basil},
		{GateFlexibleDefault, V2025_08_27_Basil, V2025_09_30_Clover},
		{GateProrationDetailsClassic, V2026_08_26_Dahlia, V2026_09_30_Endive},
	} {
		t.Run(tt.g.String(), func(t *testing.T) {
			if tt.off.Has(tt.g) || V2024_06_20.Has(tt.g) || !tt.on.Has(tt.g) || !Latest.Has(tt.g) {
				t.Errorf("%v: off at %v %v, on at %v %v", tt.g, tt.off, tt.off.Has(tt.g), tt.on, tt.on.Has(tt.g))
			}
		})
	}
	if Latest.Has(gateCount) {
		t.Error("an undeclared gate is on")
	}
}

func TestRouteAt(t *testing.T) {
	for _, tt := range []struct {
		route string
		v     Version
		ok    bool
		by    string
	}{
		{rUpcoming, V2025_02_24_Acacia, true, ""},
		{rUpcoming, V2025_03_31_Basil, false, "basil.upcoming-removed"},
		{rUpcomingLines, Latest, false, "basil.upcoming-removed"},
		{rUsageRecords, V2024_06_20, true, ""},
		{rUsageSummaries, V2025_04_30_Basil, false, "basil.usage-records-removed"},
		{rSubMigrate, V2025_05_28_Basil, false, "basil0630.migrate"},
		{rSubMigrate, V2025_06_30_Basil, true, ""},
		{rSubPause, V2026_08_26_Dahlia, false, "endive.pause"},
		{rSubPause, V2026_09_30_Endive, true, ""},
		{rSubCreate, V2024_06_20, true, ""},
	} {
		t.Run(tt.route+"@"+tt.v.String(), func(t *testing.T) {
			ok, c, _ := RouteAt(tt.route, tt.v)
			by := ""
			if c != nil {
				by = c.ID
			}
			if ok != tt.ok || by != tt.by {
				t.Errorf("RouteAt = %v by %q, want %v by %q", ok, by, tt.ok, tt.by)
			}
		})
	}
}

func TestParamEditApply(t *testing.T) {
	base := func() *form.Schema {
		return form.Object(map[string]*form.Schema{
			"customer": form.String(),
			"items": form.Array(form.Object(map[string]*form.Schema{
				"price": form.String(),
			})),
			"cancel_at": form.OneOf(form.Integer(), form.String("max_period_end")),
			"formula":   form.String("count", "sum"),
			"events":    form.Array(form.String("*", "customer.created")),
			"anchor":    form.OneOf(form.String("now"), form.Object(map[string]*form.Schema{"type": form.String()})),
		}, "customer")
	}
	for _, tt := range []struct {
		name  string
		edit  ParamEdit
		check func(s *form.Schema) bool
		fails bool
	}{
		{"added nested through an array", ParamEdit{Path: "items.billing_thresholds", Kind: ParamAdded, Schema: form.Integer()},
			func(s *form.Schema) bool {
				return s.Prop("items").Items.Prop("billing_thresholds").Type == form.TInteger
			}, false},
		{"added into an anyOf's object", ParamEdit{Path: "anchor.timestamp", Kind: ParamAdded, Schema: form.Integer()},
			func(s *form.Schema) bool { return s.Prop("anchor").AnyOf[1].Prop("timestamp") != nil }, false},
		{"added twice", ParamEdit{Path: "customer", Kind: ParamAdded, Schema: form.String()}, nil, true},
		{"added under nothing", ParamEdit{Path: "nothing.x", Kind: ParamAdded, Schema: form.String()}, nil, true},
		{"removed, and no longer required", ParamEdit{Path: "customer", Kind: ParamRemoved},
			func(s *form.Schema) bool { return s.Prop("customer") == nil && len(s.Required) == 0 }, false},
		{"removed but absent", ParamEdit{Path: "nothing", Kind: ParamRemoved}, nil, true},
		{"optional", ParamEdit{Path: "customer", Kind: ParamOptional},
			func(s *form.Schema) bool { return s.Prop("customer") != nil && len(s.Required) == 0 }, false},
		{"required", ParamEdit{Path: "items.price", Kind: ParamRequired},
			func(s *form.Schema) bool { return s.Prop("items").Items.Required[0] == "price" }, false},
		{"retyped", ParamEdit{Path: "formula", Kind: ParamRetyped, Schema: form.Integer()},
			func(s *form.Schema) bool { return s.Prop("formula").Type == form.TInteger }, false},
		{"enum value", ParamEdit{Path: "formula", Kind: ParamEnumAdded, Values: []string{"last"}},
			func(s *form.Schema) bool { return strings.Join(s.Prop("formula").Enum, ",") == "count,last,sum" }, false},
		{"enum value in an anyOf", ParamEdit{Path: "cancel_at", Kind: ParamEnumAdded, Values: []string{"max_billed_until"}},
			func(s *form.Schema) bool {
				return strings.Join(s.Prop("cancel_at").AnyOf[1].Enum, ",") == "max_billed_until,max_period_end"
			}, false},
		{"enum value of an array's items", ParamEdit{Path: "events", Kind: ParamEnumAdded, Values: []string{"billing.meter.created", "customer.created"}},
			func(s *form.Schema) bool {
				return strings.Join(s.Prop("events").Items.Enum, ",") == "*,billing.meter.created,customer.created"
			}, false},
		{"enum value of a plain string", ParamEdit{Path: "customer", Kind: ParamEnumAdded, Values: []string{"x"}}, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			err := tt.edit.Apply(s)
			if (err != nil) != tt.fails {
				t.Fatalf("Apply: %v, want failure %v", err, tt.fails)
			}
			if err == nil && !tt.check(s) {
				t.Errorf("the edit did not do what it says")
			}
		})
	}
	// Added schemas are copied: two versions never share one to change.
	shared := form.Object(map[string]*form.Schema{"price": form.String()})
	a, b := base(), base()
	for _, s := range []*form.Schema{a, b} {
		if err := (ParamEdit{Path: "pricing", Kind: ParamAdded, Schema: shared}).Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	if a.Prop("pricing") == shared || a.Prop("pricing") == b.Prop("pricing") {
		t.Error("an added schema is shared")
	}
}

func TestParamEditsBetween(t *testing.T) {
	edits := ParamEditsBetween(V2024_09_30_Acacia, V2025_02_24_Acacia)
	var got []string
	for _, e := range edits {
		got = append(got, e.Route+" "+e.Path)
	}
	want := "POST /v1/invoices automatically_finalizes_at|POST /v1/invoices/{invoice} automatically_finalizes_at|POST /v1/customers/{customer} tax.validate_location|POST /v1/products default_price_data.metadata"
	if strings.Join(got, "|") != want {
		t.Errorf("edits after acacia up to 2025-02-24:\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	if len(ParamEditsBetween(Latest, Latest)) != 0 || len(ParamEditsBetween(V2024_06_20, V2024_06_20)) != 0 {
		t.Error("an empty range has edits")
	}
}

// The edits the catalogue snapshots lack are applied to those from their
// version on, and to none before it.
func TestCatalogueFixes(t *testing.T) {
	if got := CatalogueFixes(V2025_02_24_Acacia); len(got) != 0 {
		t.Errorf("before basil: %v", got)
	}
	for _, v := range []Version{V2025_03_31_Basil, V2025_09_30_Clover, V2026_05_27_Dahlia, Latest} {
		found := false
		for _, e := range CatalogueFixes(v) {
			found = found || e.Route == rWebhookCreate && e.Path == "enabled_events" && slices.Contains(e.Values, "billing.meter.created")
		}
		if !found {
			t.Errorf("%v: no billing.meter.created for enabled_events", v)
		}
	}
}

func TestUpgradesFor(t *testing.T) {
	for _, tt := range []struct {
		route string
		v     Version
		want  int
	}{
		{rAlertCreate, V2024_06_20, 1},
		{rAlertCreate, V2024_09_30_Acacia, 0},
		{rSubUpdate, V2024_06_20, 1},
		{rSubUpdate, V2026_08_26_Dahlia, 1},
		{rSubUpdate, V2026_09_30_Endive, 0},
		{rPreview, V2025_03_31_Basil, 1},
		{rCustomerCreate, V2024_06_20, 0},
	} {
		if got := UpgradesFor(tt.route, tt.v); len(got) != tt.want {
			t.Errorf("%s at %v: %d upgrades, want %d", tt.route, tt.v, len(got), tt.want)
		}
	}
}

// value builds a validated parameter, named as a request would name it.
func value(param string, v any) *form.Value {
	switch x := v.(type) {
	case string:
		return &form.Value{Kind: form.KString, Str: x, Param: param}
	case int64:
		return &form.Value{Kind: form.KInt, Int: x, Str: fmt.Sprint(x), Param: param}
	case map[string]*form.Value:
		return &form.Value{Kind: form.KObject, Obj: form.NewParams(param, x), Param: param}
	}
	panic(v)
}

func TestRequestUpgrades(t *testing.T) {
	t.Run("alert threshold", func(t *testing.T) {
		p := form.NewParams("", map[string]*form.Value{
			"usage_threshold_config": value("usage_threshold_config", map[string]*form.Value{
				"gte": value("usage_threshold_config[gte]", int64(10)), "meter": value("usage_threshold_config[meter]", "mtr_1"),
				"recurrence": value("usage_threshold_config[recurrence]", "one_time")}),
			"filter": value("filter", map[string]*form.Value{"customer": value("filter[customer]", "cus_1")}),
		})
		if err := alertThresholdUpgrade(p); err != nil {
			t.Fatal(err)
		}
		if p.Has("usage_threshold_config") || p.Has("filter") {
			t.Errorf("the old parameters stay: %v", p.Keys())
		}
		ut := p.Object("usage_threshold")
		if n, _ := ut.Int("gte"); n != 10 || ut.Path("meter") != "usage_threshold_config[meter]" {
			t.Errorf("usage_threshold: gte %d, meter named %s", n, ut.Path("meter"))
		}
		f := ut.Objects("filters")
		if len(f) != 1 || f[0].StringOr("type", "") != "customer" || f[0].StringOr("customer", "") != "cus_1" || f[0].Get("customer").Param != "filter[customer]" {
			t.Errorf("filters: %v", f)
		}
	})
	t.Run("alert without a threshold", func(t *testing.T) {
		p := form.NewParams("", map[string]*form.Value{"filter": value("filter", map[string]*form.Value{"customer": value("filter[customer]", "cus_1")})})
		if err := alertThresholdUpgrade(p); err != nil || p.Len() != 0 {
			t.Errorf("%v, left %v", err, p.Keys())
		}
	})
	t.Run("anchor", func(t *testing.T) {
		p := form.NewParams("", map[string]*form.Value{"billing_cycle_anchor": value("billing_cycle_anchor", "now")})
		_ = anchorObjectUpgrade(p)
		if got := p.Object("billing_cycle_anchor").StringOr("type", ""); got != "now" {
			t.Errorf("billing_cycle_anchor[type] = %q", got)
		}
	})
	t.Run("preview anchor", func(t *testing.T) {
		for _, tt := range []struct {
			in       any
			typ      string
			hasStamp bool
		}{{"unchanged", "unchanged", false}, {int64(1900000000), "timestamp", true}} {
			p := form.NewParams("", map[string]*form.Value{"subscription_details": value("subscription_details", map[string]*form.Value{
				"billing_cycle_anchor": value("subscription_details[billing_cycle_anchor]", tt.in)})})
			_ = previewAnchorObjectUpgrade(p)
			a := p.Object("subscription_details").Object("billing_cycle_anchor")
			if a.StringOr("type", "") != tt.typ || a.Has("timestamp") != tt.hasStamp {
				t.Errorf("%v: %v", tt.in, a.Keys())
			}
		}
		empty := form.NewParams("", nil)
		if err := previewAnchorObjectUpgrade(empty); err != nil || empty.Len() != 0 {
			t.Errorf("a preview without details: %v %v", err, empty.Keys())
		}
	})
}
