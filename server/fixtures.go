package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/fixtures"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// Fixture files (the Stripe CLI's format, see package fixtures) load ready-made
// objects into an account. Every entry is an ordinary API request, served by
// ServeHTTP with the account's key: the same routing, validation, idempotency,
// events and request log as a request from a client.

// FixtureOptions say where and how a fixtures file is loaded.
type FixtureOptions struct {
	// Key is the secret key of the account the file is loaded into.
	Key string
	// File names the file in errors ("fixtures/alpaca-ai.json").
	File string
	// Env looks up the values of ${.env:VAR} references. Nil means no
	// environment: such references take their default, and one without a
	// default is an error.
	Env func(string) (string, bool)
	// Host is the Host of the entries' requests (where their errors'
	// request_log_url points); default localhost.
	Host string
	// APIVersion is the Stripe API version of the entries that set no
	// Stripe-Version header of their own, unless the file's
	// _meta.api_version names one; it becomes the account's default if the
	// account has none. "" leaves the entries at the account's default.
	APIVersion string
}

// APIError is Stripe's error as the emulator answers it (FixtureError.API):
// its HTTP status, type, code, param and message.
type APIError = apierr.Error

// FixtureEnvVar is one resolved value of a fixtures file's env section.
type FixtureEnvVar = fixtures.EnvVar

// FixtureResult is a loaded file: each entry's outcome, in file order, and the
// resolved env section.
type FixtureResult struct {
	File    string
	Entries []FixtureEntry
	Env     []FixtureEnvVar
}

// FixtureEntry is the outcome of one entry.
type FixtureEntry struct {
	Name, Method, Path string
	Status             int
	// ID is the id of the object the response describes, if it has one.
	ID string
	// Body is the response: the object, or Stripe's error envelope for an entry
	// that failed with its expected_error_type.
	Body []byte
}

// FixtureError is a file that could not be loaded. It names the file, the
// entry and what went wrong: Stripe's error when the entry's request failed.
type FixtureError struct {
	File string
	// Entry and Index name the failing entry; Entry is "" when the file itself
	// is at fault, and "env" (Index -1) for its env section.
	Entry string
	Index int
	// Request is the request that failed ("POST /v1/subscriptions").
	Request string
	// API is Stripe's error, when the request was answered with one.
	API *APIError
	// Err is any other problem (the file's JSON, a reference that does not resolve).
	Err error
	// Loaded names the entries that ran before this one: they stay in the account.
	Loaded []string
}

func (e *FixtureError) where() string {
	var parts []string
	if e.File != "" {
		parts = append(parts, "fixtures file "+e.File)
	} else {
		parts = append(parts, "fixtures file")
	}
	switch {
	case e.Entry == "" && e.Index < 0:
	case e.Index < 0:
		parts = append(parts, e.Entry+" section")
	case e.Entry == "":
		parts = append(parts, fmt.Sprintf("fixtures[%d]", e.Index))
	default:
		parts = append(parts, fmt.Sprintf("entry %q (fixtures[%d])", e.Entry, e.Index))
	}
	return strings.Join(parts, ", ")
}

func (e *FixtureError) Error() string {
	if e.API != nil {
		return fmt.Sprintf("%s: %s failed: %s", e.where(), e.Request, e.API.Error())
	}
	return fmt.Sprintf("%s: %v", e.where(), e.Err)
}

func (e *FixtureError) Unwrap() error {
	if e.API != nil {
		return e.API
	}
	return e.Err
}

// apiError is the error POST /_emulator/fixtures answers: Stripe's error of the
// failing entry (its status, type, code and param) with a message that names
// the entry, or a 400 for a file that cannot run.
func (e *FixtureError) apiError() *apierr.Error {
	loaded := ""
	if len(e.Loaded) > 0 {
		loaded = fmt.Sprintf(" The entries before it (%s) were loaded and stay in the account; POST /_emulator/reset empties it.", strings.Join(e.Loaded, ", "))
	}
	if e.API != nil {
		out := *e.API
		out.Message = fmt.Sprintf("%s: %s failed: %s%s", e.where(), e.Request, e.API.Message, loaded)
		return &out
	}
	return apierr.InvalidRequest("", "", "%s: %v.%s", e.where(), e.Err, loaded)
}

// LoadFixtures runs a fixtures file against the account of opts.Key, entry
// after entry. The first entry that fails stops the file with a *FixtureError;
// the entries before it stay loaded. A file whose JSON, entries or references
// are malformed is refused before any entry runs.
func (s *Server) LoadFixtures(ctx context.Context, data []byte, opts FixtureOptions) (*FixtureResult, error) {
	f, err := fixtures.Parse(data)
	if err != nil {
		fe := &FixtureError{File: opts.File, Index: -1, Err: err}
		var ee *fixtures.EntryError
		if errors.As(err, &ee) {
			fe.Entry, fe.Index, fe.Err = ee.Name, ee.Index, ee.Err
		}
		return nil, fe
	}
	if f.Meta.APIVersion != "" {
		opts.APIVersion = f.Meta.APIVersion
	}
	if opts.APIVersion != "" {
		v, ok := apiversion.Parse(opts.APIVersion)
		if !ok {
			return nil, &FixtureError{File: opts.File, Index: -1, Err: fmt.Errorf("API version %q: not a Stripe API version the emulator serves", opts.APIVersion)}
		}
		// The account's default, unless it has one (an invalid key, or one
		// over the account limit, has no account: its first entry says why).
		if checkKey(opts.Key) == nil {
			if acct := s.accounts.get(opts.Key); acct != nil {
				acct.setDefaultAPIVersion(v, setByFixtures, true)
			}
		}
	}
	if m := f.Meta.Account; m != nil && m.Billing != nil && checkKey(opts.Key) == nil {
		if acct := s.accounts.get(opts.Key); acct != nil {
			d, err := fixtureBillingSettings(acct.dunningSettings(), m.Billing)
			if err != nil {
				return nil, &FixtureError{File: opts.File, Index: -1, Err: fmt.Errorf("_meta.account: %w", err)}
			}
			acct.dunning.Store(&d)
		}
	}
	rv := fixtures.NewResolver(opts.Env, "POST /_emulator/fixtures has no environment (stripe-emulator -fixtures FILE reads the environment and ./.env)")
	res := &FixtureResult{File: opts.File}
	loaded := func() []string {
		names := make([]string, len(res.Entries))
		for i, e := range res.Entries {
			names[i] = e.Name
		}
		return names
	}
	for i := range f.Fixtures {
		fx := &f.Fixtures[i]
		fail := &FixtureError{File: opts.File, Entry: fx.Name, Index: i}
		req, err := rv.Request(fx)
		if err != nil {
			fail.Err, fail.Loaded = err, loaded()
			return nil, fail
		}
		fail.Request = req.Method + " " + req.Path
		status, body, err := s.sendFixture(ctx, req, opts)
		if err != nil {
			fail.Err, fail.Loaded = err, loaded()
			return nil, fail
		}
		entry := FixtureEntry{Name: fx.Name, Method: req.Method, Path: req.Path, Status: status, Body: body}
		if status >= 300 {
			aerr := parseErrorBody(status, body)
			if fx.ExpectedErrorType == "" || aerr.Type != fx.ExpectedErrorType {
				fail.API, fail.Loaded = aerr, loaded()
				return nil, fail
			}
			rv.Record(fx.Name, nil)
		} else {
			entry.ID, _, _ = fixtures.Lookup(body, "id")
			rv.Record(fx.Name, body)
		}
		res.Entries = append(res.Entries, entry)
	}
	env, err := rv.Env(f.Env)
	if err != nil {
		fe := &FixtureError{File: opts.File, Entry: "env", Index: -1, Err: err, Loaded: loaded()}
		var ee *fixtures.EntryError
		if errors.As(err, &ee) {
			fe.Err = ee.Err
		}
		return nil, fe
	}
	res.Env = env
	return res, nil
}

// sendFixture serves one entry's request in-process, exactly as a client's.
func (s *Server) sendFixture(ctx context.Context, req *fixtures.Request, opts FixtureOptions) (int, []byte, error) {
	host := opts.Host
	if host == "" {
		host = "localhost"
	}
	u := "http://" + host + req.Path
	if req.Query != "" {
		u += "?" + req.Query
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u, bytes.NewReader(req.Body))
	if err != nil {
		return 0, nil, fmt.Errorf("building the request: %v", err)
	}
	hr.Header.Set("Authorization", "Bearer "+opts.Key)
	hr.Header.Set("Content-Type", req.ContentType)
	hr.Header.Set("User-Agent", "stripe-emulator fixtures")
	if req.IdempotencyKey != "" {
		hr.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	if opts.APIVersion != "" {
		hr.Header.Set("Stripe-Version", opts.APIVersion)
	}
	for k, v := range req.Header { // the entry's own Stripe-Version wins
		hr.Header.Set(k, v)
	}
	rec := &recorder{header: http.Header{}}
	s.ServeHTTP(rec, hr)
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.status, rec.body.Bytes(), nil
}

// recorder is the http.ResponseWriter of an in-process request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// parseErrorBody reads Stripe's error envelope.
func parseErrorBody(status int, body []byte) *apierr.Error {
	var env struct {
		Error struct {
			Type    string `json:"type"`
			Code    string `json:"code"`
			Param   string `json:"param"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e := &apierr.Error{Status: status, Type: apierr.TypeAPI}
	if err := json.Unmarshal(body, &env); err != nil || env.Error.Message == "" {
		e.Message = fmt.Sprintf("HTTP %d: %s", status, bytes.TrimSpace(body))
		return e
	}
	e.Type, e.Code, e.Param, e.Message = env.Error.Type, env.Error.Code, env.Error.Param, env.Error.Message
	return e
}

// loadFixtures is POST /_emulator/fixtures: the body is a fixtures file, loaded
// into the caller's account. It answers each entry's response by name and the
// resolved env section.
func loadFixtures(c *call) (jsonobj.Obj, error) {
	opts := FixtureOptions{Key: c.acct.key, Host: c.r.Host}
	if c.named {
		opts.APIVersion = c.v.String()
	}
	res, err := c.s.LoadFixtures(c.r.Context(), c.body, opts)
	if err != nil {
		var fe *FixtureError
		if errors.As(err, &fe) {
			return nil, fe.apiError()
		}
		return nil, err
	}
	entries := jsonobj.Obj{}
	for _, e := range res.Entries {
		entries.Set(e.Name, jsonobj.Raw(e.Body))
	}
	env := jsonobj.Obj{}
	for _, v := range res.Env {
		env = append(env, jsonobj.Field{K: v.Name, V: v.Value})
	}
	return jsonobj.Obj{
		{K: "object", V: "emulator.fixtures"},
		{K: "fixtures", V: entries},
		{K: "env", V: env},
	}, nil
}
