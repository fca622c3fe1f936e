package server

import (
	"encoding/base64"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// account is the data of one secret key. Each distinct key is its own account:
// its objects are invisible to every other key. An account that has never
// written anything costs about a kilobyte (BenchmarkIdleAccount): its database
// is a snapshot of an empty one and its logs allocate on first use.
type account struct {
	key  string
	db   *store.DB
	idem *idemStore
	reqs requestLog
	seq  atomic.Uint64 // insertion sequence of stored objects
	// usage holds meter events and their aggregates; meterErrors the events
	// accepted but not counted.
	usage        *metering.Store
	meterErrors  *meterErrorReports
	events       *eventLog
	alertFirings *alertFirings
	// catalog caches lookups of rarely written records (meters, alerts,
	// webhook endpoints).
	catalog catalog
	// wake is when the tick visits the account next (see scheduler).
	wake wakeSlot
	// saved is what the last state save wrote of it (under Server.saveMu).
	saved accountVersion
	// gone is closed when the account is reset: its webhook deliveries
	// still queued are dropped, so that they do not hold it.
	gone chan struct{}
	// defaultVersion is the account's default API version and what set it
	// (see defaultAPIVersion), 0 while it has none.
	defaultVersion atomic.Uint32
	// dunning are the account's retry and dunning settings
	// (/_emulator/account's billing), nil for Stripe's defaults. A new value
	// replaces the pointer; the settings it points at never change.
	dunning atomic.Pointer[billing.Dunning]
}

// billingSettings gives a unit of work the account's emulator-only billing
// settings (its dunning), as they are when the work starts.
func (a *account) billingSettings(u *billing.Unit) {
	if d := a.dunning.Load(); d != nil {
		u.SetDunning(*d)
	}
}

// dunningSettings are the account's dunning settings (Stripe's defaults
// unless set).
func (a *account) dunningSettings() billing.Dunning {
	if d := a.dunning.Load(); d != nil {
		return *d
	}
	return billing.DefaultDunning()
}

// accounts maps secret keys to their accounts, creating them on first use,
// up to max accounts (0: no bound).
type accounts struct {
	s   *Server
	mu  sync.RWMutex
	m   map[string]*account
	max int
	// changes counts accounts created and dropped (under mu), for state saves.
	changes uint64
}

// DefaultMaxAccounts is the default of Options.MaxAccounts.
const DefaultMaxAccounts = 100_000

func newAccounts(s *Server, max int) *accounts {
	return &accounts{s: s, m: map[string]*account{}, max: max}
}

// get returns the account of a key, creating it; nil when the key has none
// and the emulator holds its maximum of accounts.
func (a *accounts) get(key string) *account {
	a.mu.RLock()
	acct := a.m[key]
	a.mu.RUnlock()
	if acct != nil {
		return acct
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if acct = a.m[key]; acct != nil {
		return acct
	}
	if a.max > 0 && len(a.m) >= a.max {
		return nil
	}
	acct = a.s.newAccount(strings.Clone(key)) // not the request's header
	a.m[acct.key] = acct
	a.changes++
	return acct
}

// list returns every account, and the count of accounts created and dropped
// as of that list.
func (a *accounts) list() ([]*account, uint64) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]*account, 0, len(a.m))
	for _, acct := range a.m {
		out = append(out, acct)
	}
	return out, a.changes
}

// reset drops an account's data; its next request starts from nothing. What
// it kept outside its own structures (budgets, the tick's schedule) is
// released.
func (a *accounts) reset(key string) {
	a.mu.Lock()
	acct := a.m[key]
	delete(a.m, key)
	if acct != nil {
		a.changes++
	}
	a.mu.Unlock()
	if acct != nil {
		acct.release()
		a.s.sched.remove(acct)
	}
}

// release drops what an account that is gone (reset, or read from a state
// file that failed to load) keeps outside its database: its logs and
// idempotency keys leave their budgets, its queued webhook deliveries are
// dropped. Called once per account.
func (a *account) release() {
	close(a.gone)
	a.reqs.close()
	a.idem.close()
	a.events.close()
	a.meterErrors.close()
}

func (s *Server) newAccount(key string) *account {
	return &account{key: key, db: s.dbTemplate.New(), idem: newIdemStore(s.idemTTL, s.idemMaxBytes, s.idemBudget),
		reqs:  requestLog{max: s.reqLogMax, share: budgetShare{budget: s.reqLogBudget}},
		usage: metering.New(metering.DefaultRetention), meterErrors: &meterErrorReports{share: budgetShare{budget: s.eventsBudget}}, events: newEventLog(s.eventsBudget),
		alertFirings: &alertFirings{}, gone: make(chan struct{})}
}

// versionSetBy says what set an account's default API version.
type versionSetBy uint8

const (
	setByNone     versionSetBy = iota // not set: the emulator's default applies
	setByRequest                      // the first request that named a version
	setByEmulator                     // POST /_emulator/account
	setByFixtures                     // a fixtures file's _meta.api_version
)

var setByNames = [...]string{setByNone: "", setByRequest: "request", setByEmulator: "emulator", setByFixtures: "fixtures"}

func (b versionSetBy) String() string { return setByNames[b] }

func parseSetBy(s string) (versionSetBy, bool) {
	for i, n := range setByNames {
		if i > 0 && n == s {
			return versionSetBy(i), true
		}
	}
	return setByNone, false
}

// defaultAPIVersion is the account's default API version and what set it;
// setByNone when it has none.
func (a *account) defaultAPIVersion() (apiversion.Version, versionSetBy) {
	d := a.defaultVersion.Load()
	if d == 0 {
		return 0, setByNone
	}
	return apiversion.Version(d&0xff - 1), versionSetBy(d >> 8)
}

// accountVersion is the version an account's events are rendered at: its
// default, else the emulator's.
func (s *Server) accountVersion(a *account) apiversion.Version {
	if v, by := a.defaultAPIVersion(); by != setByNone {
		return v
	}
	return s.defaultVersion
}

// setDefaultAPIVersion sets the account's default; unlessSet keeps a default
// already set.
func (a *account) setDefaultAPIVersion(v apiversion.Version, by versionSetBy, unlessSet bool) {
	d := uint32(v) + 1 | uint32(by)<<8
	if unlessSet {
		a.defaultVersion.CompareAndSwap(0, d)
		return
	}
	a.defaultVersion.Store(d)
}

// servedAt is the version a request of the account is served at: the one it
// names (which becomes the account's default if it has none yet: Stripe
// sets an account's version "the first time you make an API request"), else
// the account's default, else the emulator's.
func (a *account) servedAt(v apiversion.Version, named bool, emulator apiversion.Version) apiversion.Version {
	d := a.defaultVersion.Load()
	switch {
	case named:
		if d == 0 {
			a.setDefaultAPIVersion(v, setByRequest, true)
		}
		return v
	case d != 0:
		return apiversion.Version(d&0xff - 1)
	}
	return emulator
}

const (
	noKeyMessage = "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
)

// apiKey extracts the secret key from the Authorization header: Bearer auth, or
// basic auth with the key as the user name (curl -u sk_test_x:).
func apiKey(r *http.Request) (string, *apierr.Error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", apierr.Unauthorized(noKeyMessage)
	}
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	var key string
	switch strings.ToLower(scheme) {
	case "bearer":
		key = rest
	case "basic":
		dec, err := base64.StdEncoding.DecodeString(rest)
		if err == nil {
			key, _, _ = strings.Cut(string(dec), ":")
		}
	}
	if key == "" {
		return "", apierr.Unauthorized("You did not provide an API key, though you did set your Authorization header to \"%s\". Using Bearer auth, your Authorization header should look something like 'Authorization: Bearer YOUR_SECRET_KEY'. See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.", truncateHeader(h))
	}
	return key, nil
}

func truncateHeader(h string) string {
	h = strings.ToValidUTF8(h, "\uFFFD")
	if len(h) > 60 {
		return h[:60] + "..."
	}
	return h
}

// checkKey tells whether a key is a test-mode secret (or restricted) key.
func checkKey(key string) *apierr.Error {
	switch {
	case strings.ContainsAny(key, " \t"):
		return apierr.Unauthorized("Invalid API Key provided: %s. This key contains at least one space. Please delete the spaces and try again.", maskKey(key))
	case strings.HasPrefix(key, "sk_live_") || strings.HasPrefix(key, "rk_live_"):
		return apierr.Unauthorized("Invalid API Key provided: %s. stripe-emulator takes test mode keys only (sk_test_...); never send it a live key.", maskKey(key))
	case strings.HasPrefix(key, "pk_"):
		return apierr.Unauthorized("This API call cannot be made with a publishable API key. Please use a secret API key. stripe-emulator takes any test mode secret key, such as sk_test_123.")
	case !(strings.HasPrefix(key, "sk_test_") || strings.HasPrefix(key, "rk_test_")) || len(key) == len("sk_test_") || len(key) > 255 || !keyChars(key):
		return apierr.Unauthorized("Invalid API Key provided: %s", maskKey(key))
	}
	return nil
}

func keyChars(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// maskKey shows the first 8 and last 4 characters of a key, as Stripe does.
func maskKey(k string) string {
	k = strings.ToValidUTF8(k, "?")
	if len(k) > 100 {
		k = k[:100]
	}
	if len(k) <= 12 {
		if len(k) <= 8 {
			return k
		}
		return k[:8] + strings.Repeat("*", len(k)-8)
	}
	return k[:8] + strings.Repeat("*", len(k)-12) + k[len(k)-4:]
}

// authenticate finds the caller's account.
func (s *Server) authenticate(r *http.Request) (*account, *apierr.Error) {
	key, aerr := apiKey(r)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkKey(key); aerr != nil {
		return nil, aerr
	}
	acct := s.accounts.get(key)
	if acct == nil {
		return nil, apierr.AccountLimit(s.accounts.max, maskKey(key))
	}
	return acct, nil
}

// newMeta starts a record: a fresh ID with the prefix, created now.
func (c *call) newMeta(prefix string) store.Meta { return c.newMetaAt(prefix, c.unix()) }

// newMetaAt starts a record created at a given time (objects on a test clock
// are created on the clock's time).
func (c *call) newMetaAt(prefix string, created int64) store.Meta {
	return c.acct.NewMeta(prefix, created)
}

// NewMeta starts a record of the account created at a time: an ID sortable
// by the account's insertion sequence (billing.IDs).
func (a *account) NewMeta(prefix string, created int64) store.Meta {
	seq := a.seq.Add(1)
	return store.Meta{ID: store.SortableID(prefix, created, seq), Created: created, Seq: seq}
}
