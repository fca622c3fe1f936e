package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// handler serves one endpoint: it reads the call and returns the object to render.
type handler func(c *call) (jsonobj.Obj, error)

// call is everything a handler needs about one request.
type call struct {
	s      *Server
	acct   *account
	r      *http.Request
	now    time.Time // the emulator's clock, read once for the request
	reqID  string
	params *form.Params
	// fast, set instead of params, is what the endpoint's fastForm decoded.
	fast fastParams
	vars map[string]string
	// renderCtx holds the transaction the handler runs in (tx) and the API
	// version the request is served at (v), and renders the handler's objects.
	renderCtx
	ep *endpoint
	// idemKey is the request's Idempotency-Key, if any.
	idemKey string
	// named: the request's Stripe-Version header named the version it is
	// served at (renderCtx.v).
	named bool
	// body is the raw body, for raw endpoints.
	body []byte
	// status overrides 200 for the response (raw endpoints).
	status int
	// u is the request's unit of billing work, over its transaction; log is
	// what it did (its changes, and the events no change describes), the
	// unit's Sink.
	u   billing.Unit
	log changeLog
	// lookups, when set, caches the lookups of many meter events in one request.
	lookups *lookups
	// catGen is the account's catalog generation noted before the read
	// snapshot was taken (catRead: there is such a snapshot).
	catGen  uint64
	catRead bool
	// shown is the object a handler answered with (answer).
	shown answer
}

// answer is the object a handler answered with, and the record it renders:
// an event about that record shares it instead of rendering it again. json
// is obj's JSON (a pooled buffer) once an event has needed it: the response
// is then those bytes.
type answer struct {
	rec  store.Record
	obj  jsonobj.Obj
	json []byte
}

// marshal is the JSON of the answered object, made once for the request's
// events and its response.
func (a *answer) marshal() []byte {
	if a.json == nil {
		a.json = jsonobj.Append(bodyPool.Get().([]byte)[:0], a.obj)
	}
	return a.json
}

// answer returns the rendered record as the response, and remembers it for the
// request's events.
func (c *call) answer(rec store.Record, obj jsonobj.Obj) jsonobj.Obj {
	c.shown.rec, c.shown.obj = rec, obj
	return obj
}

// getRecord is the record of table with the id, or the resource_missing error
// that names it (noun) and the parameter it came in (param).
func getRecord[T any](tx *store.Txn, table, noun, id, param string) (T, error) {
	return billing.Get[T](tx, table, noun, id, param)
}

// unix is the request's time in unix seconds on the emulator's clock (its
// unit of work's: due work of the emulator's own clock moves it).
func (c *call) unix() int64 { return c.u.Now() }

// pathID is the (single) object ID in the URL path.
func (c *call) pathID() string {
	for _, v := range c.vars {
		return v
	}
	return ""
}

type epHandler struct{ ep *endpoint }

func (epHandler) ServeHTTP(http.ResponseWriter, *http.Request) {} // dispatch goes through Server.serve

var muxVar = regexp.MustCompile(`\{[a-z_]+\}`)

// prepare fills an endpoint's method and path from its route and its schema
// from the catalogue, and checks the route against the catalogue operation and
// the accepts and rejects lists against the schema.
func (s *Server) prepare(ep *endpoint) error {
	method, path, ok := strings.Cut(ep.route, " ")
	if !ok || !apiMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t") {
		return fmt.Errorf("endpoint %q (op %q): the route must be \"METHOD /path\", with METHOD one of GET, POST, DELETE", ep.route, ep.op)
	}
	ep.method, ep.path = method, path
	if ep.op != "" {
		op, ok := s.ops[ep.op]
		if !ok {
			return fmt.Errorf("%s: op %s: no such operation in the catalogue", ep.route, ep.op)
		}
		if op.Method != method || op.Path != path {
			return fmt.Errorf("%s: op %s is %s %s in the catalogue", ep.route, ep.op, op.Method, op.Path)
		}
		if ep.schema == nil {
			ep.schema = op.Params
		}
	}
	if ep.schema == nil {
		ep.schema = form.Object(map[string]*form.Schema{})
	}
	ep.versions = new(epVersions)
	ep.apiRoute = strings.HasPrefix(ep.path, "/v1/") || strings.HasPrefix(ep.path, "/v2/")
	canon, err := canonicalSchema(ep)
	if err != nil {
		return err
	}
	ep.canon = canon
	ep.upgrades = apiversion.UpgradesFor(ep.route, apiversion.V2024_06_20)
	if ok, _, _ := apiversion.RouteAt(ep.route, apiversion.V2024_06_20); !ok {
		ep.later = true
	}
	for _, a := range ep.accepts {
		if ep.canon.Prop(a) == nil {
			return fmt.Errorf("%s: accepts %q, which is not a parameter of the endpoint", ep.route, a)
		}
	}
	ep.rejectPaths = nil
	for _, rj := range ep.rejects {
		if lookupDotted(ep.canon, rj) == nil {
			return fmt.Errorf("%s: rejects %q, which is not a parameter of the endpoint", ep.route, rj)
		}
		ep.rejectPaths = append(ep.rejectPaths, strings.Split(rj, "."))
	}
	if !muxVar.MatchString(ep.path) && strings.Contains(ep.path, "{") {
		return fmt.Errorf("%s: malformed path", ep.route)
	}
	return nil
}

// apiMethod reports whether m is a method of Stripe's API.
func apiMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodPost || m == http.MethodDelete
}

func lookupDotted(s *form.Schema, dotted string) *form.Schema {
	for _, part := range strings.Split(dotted, ".") {
		for s != nil && s.Type == form.TArray {
			s = s.Items
		}
		s = s.Prop(part)
	}
	return s
}

// statusWriter records the status a response was written with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// serve is the entry point of every request: request id, version, routing,
// recovery and the request log line.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := store.RandomID("req", 14)
	sw := &statusWriter{ResponseWriter: w}
	h := sw.Header()
	h["Request-Id"] = []string{reqID}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic serving request", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if sw.status == 0 {
				s.writeError(sw, r, reqID, apierr.Internal())
			}
		}
		if h := s.reqLog.Handler(); h.Enabled(r.Context(), slog.LevelInfo) {
			// The record is made here rather than by Logger.LogAttrs, which
			// walks the stack for a source position no handler here prints.
			now := time.Now()
			rec := slog.NewRecord(now, slog.LevelInfo, "request", 0)
			rec.AddAttrs(slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Float64("duration_ms", float64(now.Sub(start).Microseconds())/1000),
				slog.String("request_id", reqID))
			_ = h.Handle(r.Context(), rec)
		}
	}()

	cleanPath(r)
	// The version: checked first, before authentication and routing; the
	// account's default replaces the emulator's once run knows the account.
	version, named, ok, value := apiversion.ParseHeader(r.Header["Stripe-Version"])
	if !ok {
		s.writeError(sw, r, reqID, apierr.InvalidVersion(value)) // served at no version: no Stripe-Version header
		return
	}
	if !named {
		version = s.defaultVersion
	}
	h["Stripe-Version"] = s.versionHeader[version]
	ep, vars := s.route(r)
	if ep == nil {
		s.serveNotFound(sw, r)
		return
	}
	s.run(sw, r, reqID, ep, vars, version, named)
}

// route finds the endpoint of a request, and its path variables' values: a
// route without variables by one map lookup (static), else the first route
// of its group (byPrefix) whose template and method it matches, or, when the
// routes are not grouped, mux's match among all of them; nil if none.
func (s *Server) route(r *http.Request) (*endpoint, map[string]string) {
	if ep := s.static[r.Method+" "+r.URL.Path]; ep != nil && r.URL.RawPath == "" {
		return ep, nil
	}
	if s.byPrefix == nil {
		var match mux.RouteMatch
		s.allRoutes().Match(r, &match)
		if eh, ok := match.Handler.(epHandler); ok {
			return eh.ep, match.Vars
		}
		return nil, nil
	}
	key, rest := routeKey(r.URL.EscapedPath())
	group := s.byPrefix[key]
	for i := range group {
		if group[i].ep.method != r.Method {
			continue
		}
		if vars, ok := group[i].match(rest); ok {
			return group[i].ep, vars
		}
	}
	return nil, nil
}

// cleanPath collapses runs of slashes, so //v1/customers works as Stripe's does.
func cleanPath(r *http.Request) {
	if !strings.Contains(r.URL.Path, "//") {
		return
	}
	collapse := func(p string) string {
		for strings.Contains(p, "//") {
			p = strings.ReplaceAll(p, "//", "/")
		}
		return p
	}
	r.URL.Path = collapse(r.URL.Path)
	if r.URL.RawPath != "" {
		r.URL.RawPath = collapse(r.URL.RawPath)
	}
}

func (s *Server) serveNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, w.Header().Get("Request-Id"), apierr.NotFound(r.Method, r.URL.Path))
}

// run is the pipeline of one endpoint: authenticate, decode and check the
// parameters, apply idempotency, run the handler in its transaction, render.
func (s *Server) run(w http.ResponseWriter, r *http.Request, reqID string, ep *endpoint, vars map[string]string, version apiversion.Version, named bool) {
	c := &call{s: s, r: r, reqID: reqID, ep: ep, now: s.clock.Now(), named: named}
	c.v = version
	for k, v := range vars {
		u, err := url.PathUnescape(v)
		if err != nil {
			s.writeError(w, r, reqID, apierr.NotFound(r.Method, r.URL.Path))
			return
		}
		vars[k] = u
	}
	c.vars = vars
	switch {
	case ep.session:
		acct, aerr := s.sessionAccount(r)
		if aerr != nil {
			s.writeError(w, r, reqID, aerr)
			return
		}
		c.acct = acct
	case !ep.noAuth:
		acct, aerr := s.authenticate(r)
		if aerr != nil {
			s.writeError(w, r, reqID, aerr)
			return
		}
		c.acct = acct
	}
	if c.acct != nil && ep.apiRoute {
		if v := c.acct.servedAt(version, named, s.defaultVersion); v != version {
			c.v = v
			w.Header()["Stripe-Version"] = s.versionHeader[v]
		}
	}
	if aerr := s.decode(c); aerr != nil {
		status, body, hdr := s.errorResponse(r, reqID, c.logURL(), aerr)
		s.finish(w, c, status, body, hdr)
		return
	}
	writes := r.Method == http.MethodPost || r.Method == http.MethodDelete
	if key := r.Header.Get("Idempotency-Key"); writes && key != "" && c.acct != nil {
		w.Header().Set("Idempotency-Key", key)
		s.runIdempotent(w, c, strings.TrimSpace(key))
		return
	}
	status, body, hdr := s.execute(c)
	s.finish(w, c, status, body, hdr)
	releaseBody(body)
}

// finish writes a response and, for a failure, keeps it in the account's request
// log, where the error's request_log_url points.
func (s *Server) finish(w http.ResponseWriter, c *call, status int, body []byte, hdr http.Header) {
	if status >= 400 && c.acct != nil {
		c.acct.reqs.add(newLogEntry(c, status, body))
	}
	s.writeResponse(w, status, body, hdr)
}

// readBody reads a request body of at most max bytes: at once into a buffer of
// its length when the client says it (every SDK does), else growing.
func readBody(r *http.Request, max int64) ([]byte, error) {
	rd := http.MaxBytesReader(nil, r.Body, max)
	if n := r.ContentLength; n >= 0 && n <= max {
		body := make([]byte, n)
		if _, err := io.ReadFull(rd, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(rd)
}

const formContentType = "application/x-www-form-urlencoded"

// decode reads and checks the request's parameters into c.params, against
// the endpoint's schema at the request's version.
func (s *Server) decode(c *call) *apierr.Error {
	r := c.r
	schema, ev, aerr := s.schemaAt(c)
	if aerr != nil {
		return aerr
	}
	raw := r.URL.RawQuery
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		body, err := readBody(r, s.maxBody)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return apierr.TooLarge(s.maxBody)
			}
			return apierr.InvalidRequest("", "", "Invalid request: the body could not be read.")
		}
		c.body = body
		if c.ep.raw {
			return nil
		}
		if len(body) > 0 {
			if ct := r.Header.Get("Content-Type"); ct != "" && ct != formContentType {
				mt, _, err := mime.ParseMediaType(ct)
				if err != nil || mt != formContentType {
					return apierr.InvalidRequest("", "", "Invalid request: unsupported Content-Type %s. This endpoint takes application/x-www-form-urlencoded bodies (a[b]=c&d=e), as Stripe's v1 API does.", ct)
				}
			}
			text := string(body)
			if raw == "" && c.ep.fastForm != nil && (ev == nil || ev.same) {
				if f, ok := c.ep.fastForm(text); ok {
					c.fast = f
					return nil
				}
			}
			if raw == "" {
				raw = text
			} else {
				raw += "&" + text
			}
		}
	} else if c.ep.raw {
		return nil
	}
	tree, aerr := form.Parse(raw)
	if aerr != nil {
		return aerr
	}
	params, aerr := form.Validate(tree, schema)
	if aerr != nil {
		return aerr
	}
	upgrades := c.ep.upgrades
	if ev != nil {
		upgrades = ev.upgrades
		if !ev.same {
			if aerr := ev.toCanonical(c.ep, tree, params); aerr != nil {
				return aerr
			}
		}
	}
	for _, up := range upgrades {
		if aerr := up.Apply(params); aerr != nil {
			return aerr
		}
	}
	if aerr := checkSupported(c.ep, params); aerr != nil {
		return aerr
	}
	if op := s.ops[c.ep.op]; op != nil {
		if aerr := checkExpandUpfront(op.Response, params.Strings("expand")); aerr != nil {
			return aerr
		}
	}
	c.params = params
	return nil
}

func checkSupported(ep *endpoint, p *form.Params) *apierr.Error {
	if ep.accepts != nil {
		first := "" // the first in sorted order, whatever the map's order
		p.Range(func(k string, _ *form.Value) {
			if k != "expand" && !contains(ep.accepts, k) && (first == "" || k < first) {
				first = k
			}
		})
		if first != "" {
			return unsupported(ep, p.Path(first))
		}
	}
	for _, parts := range ep.rejectPaths {
		if param := findDotted(p, parts); param != "" {
			return unsupported(ep, param)
		}
	}
	return nil
}

// findDotted returns the bracketed name of the first given parameter at a dotted
// path (arrays are looked through), or "".
func findDotted(p *form.Params, parts []string) string {
	v := p.Get(parts[0])
	if v == nil {
		return ""
	}
	if len(parts) == 1 {
		return v.Param
	}
	var objs []*form.Params
	switch v.Kind {
	case form.KObject:
		objs = []*form.Params{v.Obj}
	case form.KArray:
		for _, e := range v.Arr {
			if e.Kind == form.KObject {
				objs = append(objs, e.Obj)
			}
		}
	}
	for _, o := range objs {
		if found := findDotted(o, parts[1:]); found != "" {
			return found
		}
	}
	return ""
}

func unsupported(ep *endpoint, param string) *apierr.Error {
	return apierr.InvalidRequest("", param, "stripe-emulator does not support the parameter %s on %s %s yet; remove it from the request (the README lists what each endpoint supports).", param, ep.method, ep.path)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// execute runs the handler in its transaction and renders the outcome.
func (s *Server) execute(c *call) (int, []byte, http.Header) {
	obj, err := invoke(c)
	if err != nil {
		return s.errorResponse(c.r, c.reqID, c.logURL(), err)
	}
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	if c.shown.json != nil && len(obj) > 0 && len(obj) == len(c.shown.obj) && &obj[0] == &c.shown.obj[0] && !c.expands() {
		return status, c.shown.json, nil // already written for an event
	}
	return status, marshalBody(obj), nil
}

// invoke runs the handler and expansions inside the endpoint's transaction.
func invoke(c *call) (jsonobj.Obj, error) {
	if err := checkTimestamps(c.params, false); err != nil {
		return nil, err
	}
	var db *store.DB
	if c.acct != nil {
		db = c.acct.db
	}
	c.log = changeLog{s: c.s, acct: c.acct, rc: &c.renderCtx}
	switch {
	case db == nil || c.ep.mode == txNone:
		c.u.Init(nil, nil, nil, c.now.Unix(), &c.log)
	case c.ep.mode == txWrite:
		c.tx = db.Write()
		c.u.Init(c.tx, c.acct.usage, c.acct, c.now.Unix(), &c.log)
		c.acct.billingSettings(&c.u)
		defer c.tx.Abort()
	default:
		c.catGen, c.catRead = c.acct.catalog.readGen() // before the snapshot
		c.tx = db.Read()
		c.u.Init(c.tx, c.acct.usage, c.acct, c.now.Unix(), &c.log)
		defer c.tx.Abort()
	}
	obj, err := c.ep.h(c)
	if err != nil {
		return nil, c.failed(err)
	}
	if obj != nil && c.params != nil {
		if err := c.expand(obj, c.params.Strings("expand")); err != nil {
			return nil, err
		}
	}
	if c.ep.dryRun {
		return obj, nil
	}
	return obj, c.commit()
}

// commit derives the request's events, commits its transaction and publishes
// the events (to the account's log and to webhook endpoints).
func (c *call) commit() error {
	o := origin{reqID: c.reqID, idemKey: c.idemKey}
	if c.shown.obj != nil && !c.expands() {
		o.shown = &c.shown
	}
	if c.tx != nil && c.tx.Writable() {
		return c.s.commitChanges(c.acct, &c.u, &c.log, o)
	}
	evs := c.log.extra
	for _, ev := range evs {
		ev.reqID, ev.idemKey = o.reqID, o.idemKey
		if _, err := c.log.renderEvent(ev, o.shown); err != nil { // events no change describes always render
			return err
		}
	}
	c.s.publish(c.acct, evs)
	return nil
}

// commitChanges commits a unit of work's write transaction, a request's or
// the tick's (o: the request behind it, if any): it derives the events of
// what the unit did (log), pins the usage times the records it commits bill
// at, commits, asks for the due work its changes set, and publishes the
// events.
func (s *Server) commitChanges(acct *account, u *billing.Unit, log *changeLog, o origin) error {
	evs, err := log.deriveEvents(o)
	if err != nil {
		return err
	}
	for _, m := range log.muts {
		if s.reg.cached[m.table] {
			acct.catalog.beginWrite() // around the commit: see catalog
			defer acct.catalog.endWrite()
			break
		}
	}
	// only what is committed: not previews, not failed requests
	billing.PinBillingTimes(u, len(log.muts), func(i int) store.Record { return log.muts[i].after })
	u.Tx().Commit()
	s.scheduleChanges(acct, log.muts)
	s.publish(acct, evs)
	return nil
}
