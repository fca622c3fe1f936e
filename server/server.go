// Package server is the stripe-emulator: an http.Handler that serves Stripe's API
// (version 2024-06-20) from memory. Start one in-process with New, or run the
// binary in cmd/stripe-emulator.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/spec"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
	"github.com/stripe-emulator/stripe-emulator/server/clock"
)

// APIVersion is the emulator's default Stripe API version (Options.APIVersion
// changes it): what a request without a Stripe-Version header is served at on
// an account without a default of its own.
const APIVersion = "2024-06-20"

// Options configure a Server. The zero value is usable.
type Options struct {
	// Clock is the emulator's clock (real time by default). Every request reads it once.
	Clock clock.Clock
	// Logger receives the emulator's own messages. Nil discards them.
	Logger *slog.Logger
	// RequestLogger receives one line per request (method, path, status,
	// duration, request id); nil means Logger.
	RequestLogger *slog.Logger
	// MaxBodyBytes caps request bodies (default 1 MiB); larger ones get a 413.
	MaxBodyBytes int64
	// IdempotencyTTL is how long idempotency keys are remembered (default 24h).
	IdempotencyTTL time.Duration
	// IdempotencyMaxBytes bounds the memory each account's idempotency keys
	// hold (default 256 MiB): past it, the oldest keys are forgotten before
	// their TTL.
	IdempotencyMaxBytes int64
	// IdempotencyMaxTotalBytes bounds the memory the idempotency keys of
	// every account hold together (default 1 GiB): past it, the accounts
	// holding the most forget their oldest keys first.
	IdempotencyMaxTotalBytes int64
	// RequestLogMaxBytes bounds each account's failed-request log (default
	// 1 MiB, and at most 1,000 entries); RequestLogMaxTotalBytes bounds every
	// account's together (default 64 MiB). Past either, the oldest entries go.
	RequestLogMaxBytes      int64
	RequestLogMaxTotalBytes int64
	// EventsMaxTotalBytes bounds the memory the event logs and meter error
	// reports of every account hold together (default 1 GiB; each account
	// also keeps at most its newest 100,000 events and 10,000 reports): past
	// it, the accounts holding the most drop their oldest first.
	EventsMaxTotalBytes int64
	// MaxAccounts bounds the number of accounts (one per secret key; default
	// DefaultMaxAccounts, negative: no bound). A new key past it gets a 403.
	MaxAccounts int
	// TickInterval is how often the emulator runs what its clock makes due
	// (renewals, finalizations) for objects not on a test clock; default 1s,
	// negative disables it.
	TickInterval time.Duration
	// Webhooks configure event deliveries.
	Webhooks WebhookOptions
	// APIVersion is the emulator's default API version (default APIVersion,
	// 2024-06-20): what a request without a Stripe-Version header is served at
	// on an account whose default is not set yet. New fails on a name that is
	// no version of the emulator's list.
	APIVersion string
	// DefaultCard is an emulator-only convenience, off ("") by default: a
	// pm_card_* id (one whose attach succeeds) that every customer created
	// without payment_method gets, cloned, attached and set as their
	// invoice_settings.default_payment_method in the same request
	// (design-16 §4.3). Stripe has no such setting: code that relies on it
	// does not run unchanged against Stripe.
	DefaultCard string
}

// Server is the emulator. It is an http.Handler; Close stops its background work.
type Server struct {
	clock   clock.Clock
	log     *slog.Logger
	reqLog  *slog.Logger
	maxBody int64
	idemTTL time.Duration
	// idemMaxBytes bounds each account's idempotency store, idemBudget all
	// of them together; reqLogMax and reqLogBudget do the same for the
	// failed-request logs.
	idemMaxBytes int64
	idemBudget   *budget
	reqLogMax    int64
	reqLogBudget *budget
	// eventsBudget bounds every account's event log and error reports.
	eventsBudget *budget
	// sched holds the accounts the tick is to visit, by when.
	sched scheduler
	// saveMu serializes state file saves (a periodic one and the shutdown
	// one) and guards what the last one wrote (accounts' saved, savedAccounts).
	saveMu        sync.Mutex
	savedAccounts uint64
	savedAny      bool
	// router is every route (allRoutes; nil until first needed, made
	// once by routerOnce); endpoints are the routes in registration order.
	router     *mux.Router
	routerOnce sync.Once
	endpoints  []*endpoint
	// static holds the routes without path variables by "METHOD /path": most
	// requests are found here by one map lookup.
	static map[string]*endpoint
	// byPrefix holds the routes with path variables, split by routeKey
	// (their first two segments and how many there are), each group in
	// registration order: a request tries only the templates of its group,
	// segment by segment (nil: a template is not of that form; router
	// matches every request).
	byPrefix map[pathGroup][]pathRoute
	accounts *accounts
	// dbTemplate makes each account's empty database.
	dbTemplate *store.Template
	ops        map[string]*form.Operation
	reg        *registry // what the server derives from the resources
	loaders    map[string]loader
	hooks      *webhooks
	sessions   *sessions
	stopTick   chan struct{}
	tickDone   chan struct{}

	// defaultVersion is Options.APIVersion; versionHeader the Stripe-Version
	// header value of each version.
	defaultVersion apiversion.Version
	versionHeader  [apiversion.Count][]string
	// defaultCard is Options.DefaultCard.
	defaultCard string
}

// New builds a Server.
func New(opts Options) (*Server, error) { return newServer(opts, resources, routeOrder) }

// newServer builds a Server serving a list of resources.
func newServer(opts Options, list []anyResource, order []routeGroup) (*Server, error) {
	s := &Server{
		clock:        opts.Clock,
		log:          opts.Logger,
		maxBody:      opts.MaxBodyBytes,
		idemTTL:      opts.IdempotencyTTL,
		idemMaxBytes: opts.IdempotencyMaxBytes,
		defaultCard:  opts.DefaultCard,
	}
	if err := checkDefaultCard(opts.DefaultCard); err != nil {
		return nil, err
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.reqLog = opts.RequestLogger
	if s.reqLog == nil {
		s.reqLog = s.log
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	if s.idemMaxBytes <= 0 {
		s.idemMaxBytes = defaultIdemBytes
	}
	s.idemBudget = newBudget(orDefault(opts.IdempotencyMaxTotalBytes, DefaultIdempotencyMaxTotalBytes))
	s.reqLogMax = orDefault(opts.RequestLogMaxBytes, defaultRequestLogBytes)
	s.reqLogBudget = newBudget(orDefault(opts.RequestLogMaxTotalBytes, defaultRequestLogTotalBytes))
	s.eventsBudget = newBudget(orDefault(opts.EventsMaxTotalBytes, DefaultEventsMaxTotalBytes))
	if s.idemTTL <= 0 {
		s.idemTTL = 24 * time.Hour
	}
	s.defaultVersion = apiversion.Default
	if opts.APIVersion != "" {
		v, ok := apiversion.Parse(opts.APIVersion)
		if !ok {
			return nil, fmt.Errorf("API version %q: not a Stripe API version the emulator serves (%s … %s)", opts.APIVersion, apiversion.Version(0), apiversion.Latest)
		}
		s.defaultVersion = v
	}
	s.versionHeader = versionHeaders()
	ops, err := spec.Operations()
	if err != nil {
		return nil, fmt.Errorf("loading the API catalogue: %w", err)
	}
	s.ops = ops
	if s.reg, err = newRegistry(list, order); err != nil {
		return nil, fmt.Errorf("the resources: %w", err)
	}
	if s.dbTemplate, err = store.NewTemplate(s.reg.tables...); err != nil {
		return nil, fmt.Errorf("the tables: %w", err)
	}
	maxAccounts := opts.MaxAccounts
	switch {
	case maxAccounts == 0:
		maxAccounts = DefaultMaxAccounts
	case maxAccounts < 0:
		maxAccounts = 0
	}
	s.accounts = newAccounts(s, maxAccounts)
	s.hooks = newWebhooks(s, opts.Webhooks)
	s.sessions = newSessions()
	s.loaders = s.reg.loaders()
	if err := s.buildRouter(); err != nil {
		return nil, err
	}
	tick := opts.TickInterval
	if tick == 0 {
		tick = time.Second
	}
	s.stopTick, s.tickDone = make(chan struct{}), make(chan struct{})
	if tick > 0 {
		go s.tickLoop(tick)
	} else {
		close(s.tickDone)
	}
	return s, nil
}

// orDefault is v, or def when v is not positive.
func orDefault(v, def int64) int64 {
	if v <= 0 {
		return def
	}
	return v
}

// Close stops the server's background work (the clock's ticks, webhook
// deliveries). Requests in flight finish normally.
func (s *Server) Close() error {
	select {
	case <-s.stopTick:
	default:
		close(s.stopTick)
	}
	<-s.tickDone
	s.hooks.close()
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r)
}

// endpoint is one route: where it is, how its parameters are checked, and its handler.
type endpoint struct {
	// route is the endpoint's "METHOD /path", written beside its handler so
	// that a search for a URL finds it; method and path are its two parts,
	// filled by prepare.
	route        string
	method, path string
	// op names the catalogue operation of the route, which gives its schema;
	// prepare refuses an op whose method and path are not the route's.
	op string
	// schema describes the parameters of an endpoint outside the catalogue.
	schema *form.Schema
	// accepts lists the top-level parameters the handler implements ("expand" is
	// always accepted); any other parameter the schema knows gets a 400 saying the
	// emulator does not support it. Nil accepts every parameter of the schema.
	accepts []string
	// rejects lists nested parameters (dotted: "items.tax_rates") that the emulator
	// does not support inside accepted ones; rejectPaths are their parts.
	rejects     []string
	rejectPaths [][]string
	// mode is the transaction the handler runs in.
	mode txMode
	// dryRun endpoints never commit their write transaction (previews).
	dryRun bool
	// noAuth marks endpoints that need no API key (health checks); session
	// endpoints take a meter event session token instead.
	noAuth  bool
	session bool
	// raw handlers take the body themselves (fixtures files, JSON v2 endpoints).
	raw bool
	// fastForm, when set, decodes the plain bodies of a hot endpoint without
	// the generic tree (call.fast); false leaves the body to the generic decoder.
	fastForm func(body string) (fastParams, bool)
	h        handler
	// anyVersion lists top-level parameters the handler takes as every
	// version has them (enabled_events: any event type of the request's
	// version), which are checked against that version's schema only.
	anyVersion []string
	// newer lists the parameters (dotted) beyond 2024-06-20's that the
	// handler reads, in the shape the newest version gives them; canon is
	// the handler's schema: the endpoint's own with those (a parameter a
	// version retyped takes both shapes, the old one only until the
	// request's upgrades turn it into the new). upgrades are the request
	// upgrades a request at 2024-06-20 runs (those of later versions, in
	// epVersion).
	newer    []string
	canon    *form.Schema
	upgrades []apiversion.RequestUpgrade
	// versions are the endpoint at each API version, made on first use;
	// apiRoute: a Stripe endpoint (/v1/, /v2/), whose requests fix their
	// account's default version (not /_emulator/ nor /healthz).
	versions *epVersions
	apiRoute bool
	// later: a version after 2024-06-20 adds the endpoint, so a request at
	// 2024-06-20 gets the 404 of a route it does not have.
	later bool
}

type txMode uint8

const (
	txRead  txMode = iota // a snapshot
	txWrite               // the account's write transaction, committed on success
	txNone                // no transaction (the handler manages its own state)
)

// newRouter is a router matching paths as the server does: escaped, and
// not cleaned (cleanPath does that, as Stripe does).
func newRouter() *mux.Router {
	r := mux.NewRouter()
	r.SkipClean(true)
	r.UseEncodedPath()
	return r
}

func (s *Server) buildRouter() error {
	var errs []error
	s.static = map[string]*endpoint{}
	byPrefix, splittable := map[pathGroup][]pathRoute{}, true
	for _, routes := range s.reg.routes {
		group := routes()
		for i := range group {
			ep := group[i]
			if err := s.prepare(&ep); err != nil {
				errs = append(errs, err)
				continue
			}
			s.endpoints = append(s.endpoints, &ep)
			if !strings.Contains(ep.path, "{") {
				s.static[ep.method+" "+ep.path] = &ep
				continue
			}
			key, pr, ok := newPathRoute(&ep)
			splittable = splittable && ok
			byPrefix[key] = append(byPrefix[key], pr)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if splittable {
		s.byPrefix = byPrefix
	} else {
		s.allRoutes() // every request goes through it: made now
	}
	return nil
}

// allRoutes is the router of every route, in the order they are registered:
// what requests are matched against when the routes are not grouped
// (byPrefix nil), and what tests walk and compare the groups with
// (TestGroupedRoutesMatchAsAll). It is made on first use: a server whose
// routes are grouped never needs it, and its compiled patterns would be a
// quarter of the server's memory at start.
func (s *Server) allRoutes() *mux.Router {
	s.routerOnce.Do(func() {
		r := newRouter() // only matched (Server.route), never served: no 404 handlers
		for _, ep := range s.endpoints {
			r.Handle(ep.path, epHandler{ep}).Methods(ep.method)
		}
		s.router = r
	})
	return s.router
}

// pathGroup is the group of routes a request's path (as mux matches it,
// escaped) can match: its first two segments and its number of segments. A
// path variable matches one whole segment, so a route matches only paths
// of its own group. Its strings are slices of the path: finding a
// request's group allocates nothing.
type pathGroup struct {
	first, second string
	segments      int
}

// routeKey is a path's group, and the rest of the path after the group's
// two segments.
func routeKey(path string) (key pathGroup, rest string) {
	first, after, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	second, rest, _ := strings.Cut(after, "/")
	return pathGroup{first: first, second: second, segments: strings.Count(path, "/")}, rest
}

// pathRoute is a route with path variables as its group matches it: the
// template's segments after the group's two, each a literal or a variable
// (name set), which matches one non-empty segment, as mux's default
// pattern does.
type pathRoute struct {
	ep   *endpoint
	segs []routeSeg
}

type routeSeg struct{ lit, name string }

// newPathRoute is an endpoint's template as its group matches it, and the
// group; ok is false when the template has a form the groups do not match:
// a variable among the first two segments (it could match paths of other
// groups), or a segment neither a literal nor a whole {name} (a variable
// with its own pattern, which may match a slash).
func newPathRoute(ep *endpoint) (pathGroup, pathRoute, bool) {
	key, rest := routeKey(ep.path)
	ok := !strings.ContainsAny(key.first+key.second, "{}")
	pr := pathRoute{ep: ep}
	for _, part := range strings.Split(rest, "/") {
		name, isVar := strings.CutPrefix(part, "{")
		if !isVar {
			ok = ok && !strings.ContainsAny(part, "{}")
			pr.segs = append(pr.segs, routeSeg{lit: part})
			continue
		}
		name, closed := strings.CutSuffix(name, "}")
		ok = ok && closed && name != "" && strings.Trim(name, "abcdefghijklmnopqrstuvwxyz_") == ""
		pr.segs = append(pr.segs, routeSeg{name: name})
	}
	return key, pr, ok
}

// match reports whether the rest of an escaped path (after its group's two
// segments) fits the template, with the variables' (escaped) values.
func (pr *pathRoute) match(rest string) (map[string]string, bool) {
	r := rest
	for _, seg := range pr.segs {
		part, more, _ := strings.Cut(r, "/")
		if seg.name == "" && part != seg.lit || seg.name != "" && part == "" {
			return nil, false
		}
		r = more
	}
	vars := map[string]string{}
	for _, seg := range pr.segs {
		part, more, _ := strings.Cut(rest, "/")
		if seg.name != "" {
			vars[seg.name] = part
		}
		rest = more
	}
	return vars, true
}
