// Package apiversion is the list of Stripe API versions the emulator serves,
// oldest first, and the changes each version makes (see Change). A Version is
// an index into the list: comparing two is comparing integers.
//
// Stripe selects a request's version from its Stripe-Version header, else the
// account's default (https://docs.stripe.com/api-versions); the server does
// that, with Parse and ParseHeader checking the header against this list.
package apiversion

// Version is one Stripe API version, an index into the registry.
type Version uint8

// Every version from 2024-06-20 (the last old-style one, without a family
// name) to 2026-10-28.endive, in release order. The first version of a family
// is its major release (breaking changes); the others are monthly ones
// (additive). Source: ../shared/reference/api-versions.md §1.
const (
	V2024_06_20        Version = iota // old style: no family
	V2024_09_30_Acacia                // major
	V2024_10_28_Acacia
	V2024_11_20_Acacia
	V2024_12_18_Acacia
	V2025_01_27_Acacia
	V2025_02_24_Acacia
	V2025_03_31_Basil // major
	V2025_04_30_Basil
	V2025_05_28_Basil
	V2025_06_30_Basil
	V2025_07_30_Basil
	V2025_08_27_Basil
	V2025_09_30_Clover // major
	V2025_10_29_Clover
	V2025_11_17_Clover
	V2025_12_15_Clover
	V2026_01_28_Clover
	V2026_02_25_Clover
	V2026_03_25_Dahlia // major
	V2026_04_22_Dahlia
	V2026_05_27_Dahlia
	V2026_06_24_Dahlia
	V2026_07_29_Dahlia
	V2026_08_26_Dahlia
	V2026_09_30_Endive // major
	V2026_10_28_Endive

	// Count is the number of versions.
	Count = iota
	// Latest is the newest version.
	Latest = V2026_10_28_Endive
	// Default is the emulator's default: what a request without a
	// Stripe-Version header is served at on an account without a default of
	// its own (stripe-emulator -api-version changes it).
	Default = V2024_06_20
)

// Info describes a version.
type Info struct {
	// Name is the version exactly as on the wire: "2025-03-31.basil".
	Name string
	// Family is "acacia", "basil"…; "" for 2024-06-20.
	Family string
	// Major: the first version of its family (and 2024-06-20).
	Major bool
	// Snapshot names the catalogue (../shared/stripe-openapi/operations-<Snapshot>.json)
	// and trimmed spec of exactly this version, "" when there is none.
	Snapshot string
	// Catalogue names the catalogue whose parameter schemas this version
	// starts from, when it is the base of one (internal/spec embeds an
	// extract of each): the versions after it, up to the next base, apply
	// their declared ParamEdits on top. It is the version's own Snapshot,
	// but for 2025-03-31.basil, whose base is the 2025-05-28.basil file: that
	// file is an early cut of 2025-05-28 (it lacks billing_thresholds, which
	// 2025-05-28 brought back), so it matches 2025-03-31 and 2025-04-30 best
	// (api-versions.md §3.7, §6), and 2025-05-28 applies its own units on
	// top of it like the later basil versions.
	Catalogue string
	// GoPins and NodePins are the stripe-go and stripe-node releases that
	// pin the version ("" for none).
	GoPins, NodePins string
}

var infos = [Count]Info{
	{"2024-06-20", "", true, "2024-06-20", "2024-06-20", "v79.0.0–v79.12.0", "16.0.0–16.12.0"},
	{"2024-09-30.acacia", "acacia", true, "2024-09-30.acacia", "2024-09-30.acacia", "v80.0.0–v80.2.1", "17.0.0–17.2.1"},
	{"2024-10-28.acacia", "acacia", false, "", "", "v81.0.0", "17.3.0, 17.3.1"},
	{"2024-11-20.acacia", "acacia", false, "", "", "v81.1.0", "17.4.0"},
	{"2024-12-18.acacia", "acacia", false, "", "", "v81.2.0", "17.5.0"},
	{"2025-01-27.acacia", "acacia", false, "", "", "v81.3.0", "17.6.0"},
	{"2025-02-24.acacia", "acacia", false, "", "", "v81.4.0", "17.7.0"},
	{"2025-03-31.basil", "basil", true, "", "2025-05-28.basil", "v82.0.0", "18.0.0"},
	{"2025-04-30.basil", "basil", false, "", "", "v82.1.0", "18.1.0, 18.1.1"},
	{"2025-05-28.basil", "basil", false, "2025-05-28.basil", "", "v82.2.0, v82.2.1", "18.2.0, 18.2.1"},
	{"2025-06-30.basil", "basil", false, "", "", "v82.3.0", "18.3.0"},
	{"2025-07-30.basil", "basil", false, "", "", "v82.4.0, v82.4.1", "18.4.0"},
	{"2025-08-27.basil", "basil", false, "", "", "v82.5.0, v82.5.1", "18.5.0"},
	{"2025-09-30.clover", "clover", true, "2025-09-30.clover", "2025-09-30.clover", "v83.0.0–v83.0.2", "19.0.0, 19.1.0"},
	{"2025-10-29.clover", "clover", false, "", "", "v83.1.0–v83.2.1", "19.2.0–19.3.1"},
	{"2025-11-17.clover", "clover", false, "2025-11-17.clover", "2025-11-17.clover", "v84.0.0", "20.0.0"},
	{"2025-12-15.clover", "clover", false, "", "", "v84.1.0, v84.2.0", "20.1.0–20.2.0"},
	{"2026-01-28.clover", "clover", false, "", "", "v84.3.0", "20.3.0, 20.3.1"},
	{"2026-02-25.clover", "clover", false, "", "", "v84.4.0, v84.4.1", "20.4.0, 20.4.1"},
	{"2026-03-25.dahlia", "dahlia", true, "", "", "v85.0.0", "21.0.0–22.0.2"},
	{"2026-04-22.dahlia", "dahlia", false, "", "", "", "22.1.0, 22.1.1"},
	{"2026-05-27.dahlia", "dahlia", false, "2026-05-27.dahlia", "2026-05-27.dahlia", "", "22.2.0–22.2.3"},
	{"2026-06-24.dahlia", "dahlia", false, "", "", "", "22.3.0–22.3.2"},
	{"2026-07-29.dahlia", "dahlia", false, "", "", "", "22.4.0, 22.5.0"},
	{"2026-08-26.dahlia", "dahlia", false, "2026-08-26.dahlia", "2026-08-26.dahlia", "", "22.6.0–22.6.2"},
	{"2026-09-30.endive", "endive", true, "", "", "", "23.0.0, 23.0.1"},
	{"2026-10-28.endive", "endive", false, "", "", "", "23.1.0"},
}

// byName finds a version by its name; built once from infos, never changed.
var byName = func() map[string]Version {
	m := make(map[string]Version, Count)
	for i := range infos {
		m[infos[i].Name] = Version(i)
	}
	return m
}()

// Parse finds a version by its exact name (case-sensitive, no parameters).
func Parse(s string) (Version, bool) {
	v, ok := byName[s]
	return v, ok
}

// ParseHeader reads a request's Stripe-Version header lines (their values as
// net/http keeps them). present is false when there is no header, or only an
// empty one: the request names no version. Several lines are joined with ", ",
// as Stripe joins them, so they name no version of the list: ok is false, and
// joined is the value the error quotes.
func ParseHeader(values []string) (v Version, present, ok bool, joined string) {
	switch len(values) {
	case 0:
		return Default, false, true, ""
	case 1:
		if values[0] == "" {
			return Default, false, true, ""
		}
		v, ok = byName[values[0]]
		return v, true, ok, values[0]
	}
	joined = values[0]
	for _, s := range values[1:] {
		joined += ", " + s
	}
	return Default, true, false, joined
}

// String is the version's name.
func (v Version) String() string {
	if v >= Count {
		return "unknown"
	}
	return infos[v].Name
}

// Info describes the version.
func (v Version) Info() Info { return infos[v] }

// Names lists every version's name, oldest first.
func Names() []string {
	out := make([]string, Count)
	for i := range infos {
		out[i] = infos[i].Name
	}
	return out
}

// CatalogueBase is the version whose catalogue v's parameter schemas start
// from: the newest Catalogue base at or below v.
func CatalogueBase(v Version) Version {
	for b := v; ; b-- {
		if infos[b].Catalogue != "" {
			return b
		}
	}
}
