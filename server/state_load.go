package server

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Reading a state file: checked line by line, installed only when whole (see state.go).

// Loading.

// stateReader reads lines, hashing those before the end marker.
type stateReader struct {
	br     *bufio.Reader
	h      hash.Hash
	lineNo int
	bytes  int64
	long   []byte
}

// next returns the next line without its newline (valid until the next call):
// io.EOF at the end of the input, io.ErrUnexpectedEOF for a last line without
// its newline.
func (sr *stateReader) next() ([]byte, error) {
	sr.long = sr.long[:0]
	for {
		b, err := sr.br.ReadSlice('\n')
		sr.bytes += int64(len(b))
		switch {
		case err == nil:
			sr.lineNo++
			if len(sr.long) > 0 {
				sr.long = append(sr.long, b...)
				b = sr.long
			}
			return b, nil
		case errors.Is(err, bufio.ErrBufferFull):
			sr.long = append(sr.long, b...)
		case errors.Is(err, io.EOF):
			if len(b) == 0 && len(sr.long) == 0 {
				return nil, io.EOF
			}
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// loading is a state being read: accounts are built aside and installed only
// once the whole file has been read and checked.
type loading struct {
	s        *Server
	info     StateInfo
	header   stateHeader
	accounts []*loadingAccount
	keys     map[string]bool
	cur      *loadingAccount
	// the section being read: its name, the lines left, and what takes them
	section string
	left    int
	index   int
	take    func(line []byte) error
	// mark is what install made the server's; installed says it did.
	mark      stateMark
	installed bool
}

type loadingAccount struct {
	acct     *account
	tx       *store.Txn
	seq      uint64
	sections map[string]bool
	usage    *metering.Snapshot
	events   []*eventRecord
	eventIDs map[string]bool
}

// loadState reads a state into the server, and returns what it installed.
func (s *Server) loadState(r io.Reader) (StateInfo, stateMark, error) {
	ld := &loading{s: s, keys: map[string]bool{}}
	defer ld.abort()
	info, err := ld.read(r)
	return info, ld.mark, err
}

func (ld *loading) read(r io.Reader) (StateInfo, error) {
	start := time.Now()
	sr := &stateReader{br: bufio.NewReaderSize(r, 1<<18), h: sha256.New()}
	if err := ld.readHeader(sr); err != nil {
		return ld.info, err
	}
	var decodeErr error
	var end *endMark
	for {
		line, err := sr.next()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return ld.info, stateErrorf(ErrStateCorrupt, "truncated: it ends after line %d without its end marker (the write was cut short?)", sr.lineNo)
		}
		if err != nil {
			return ld.info, fmt.Errorf("reading state: %w", err)
		}
		body := line[:len(line)-1]
		if (decodeErr != nil || ld.left == 0) && bytes.HasPrefix(body, []byte(stateEndPrefix)) {
			end = &endMark{}
			if err := strictJSON(body, end); err != nil || end.End != stateEndMark {
				return ld.info, stateErrorf(ErrStateCorrupt, "line %d: a damaged end marker", sr.lineNo)
			}
			break
		}
		sr.h.Write(line)
		if decodeErr == nil {
			if err := ld.line(body); err != nil {
				decodeErr = ld.describe(sr.lineNo, err)
			}
		}
	}
	endLine := sr.lineNo
	if _, err := sr.next(); !errors.Is(err, io.EOF) {
		return ld.info, stateErrorf(ErrStateCorrupt, "data after the end marker (line %d)", endLine)
	}
	if sum := hex.EncodeToString(sr.h.Sum(nil)); sum != end.SHA256 || end.Lines != endLine-1 {
		return ld.info, stateErrorf(ErrStateCorrupt, "checksum mismatch: the %d lines before the end marker do not match the SHA-256 it holds; the file was damaged or edited after it was written", endLine-1)
	}
	if decodeErr != nil {
		return ld.info, decodeErr
	}
	if ld.left > 0 {
		return ld.info, stateErrorf(ErrStateCorrupt, "section %s ends early: %d lines missing", ld.section, ld.left)
	}
	if err := ld.finishAccount(); err != nil {
		return ld.info, stateErrorf(ErrStateCorrupt, "account %s: %v", maskKey(ld.cur.acct.key), err)
	}
	if len(ld.accounts) != ld.header.Accounts {
		return ld.info, stateErrorf(ErrStateCorrupt, "%d accounts, the header says %d", len(ld.accounts), ld.header.Accounts)
	}
	var err error
	if ld.mark, err = ld.install(); err != nil {
		return ld.info, err
	}
	ld.info.Bytes, ld.info.Duration = sr.bytes, time.Since(start)
	return ld.info, nil
}

func (ld *loading) readHeader(sr *stateReader) error {
	peek, err := sr.br.Peek(len(stateMagic))
	if len(peek) == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading state: %w", err)
		}
		return stateErrorf(ErrStateForeign, "the file is empty")
	}
	if !bytes.Equal(peek, []byte(stateMagic)) {
		return stateErrorf(ErrStateForeign, "%s, while a state file starts with %s", describePrefix(peek), stateMagic)
	}
	line, err := sr.next()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("reading state: %w", err)
	}
	if err != nil {
		return stateErrorf(ErrStateCorrupt, "truncated: it ends within its header")
	}
	sr.h.Write(line)
	var h stateHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return stateErrorf(ErrStateCorrupt, "a damaged header: %v", err)
	}
	switch {
	case h.Version > StateFormatVersion: // every older format loads
		return stateErrorf(ErrStateVersion, "format version %d, written by a newer stripe-emulator; this one reads version %d", h.Version, StateFormatVersion)
	case h.Version < 1:
		return stateErrorf(ErrStateCorrupt, "a damaged header: format version %d", h.Version)
	case h.APIVersion != APIVersion:
		return stateErrorf(ErrStateVersion, "its objects are of API version %q; this emulator implements %s", h.APIVersion, APIVersion)
	case h.Accounts < 0:
		return stateErrorf(ErrStateCorrupt, "a damaged header: %d accounts", h.Accounts)
	}
	saved, err := time.Parse(time.RFC3339, h.SavedAt)
	if err != nil {
		return stateErrorf(ErrStateCorrupt, "a damaged header: saved_at %q", h.SavedAt)
	}
	ld.header, ld.info.SavedAt = h, saved
	return nil
}

// describePrefix says what a foreign file starts with.
func describePrefix(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return "it is gzip-compressed data"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "it is a zip archive"
	case bytes.HasPrefix(b, []byte("SQLite format")):
		return "it is an SQLite database"
	}
	if !utf8.Valid(b) || bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }) {
		return "it holds binary data"
	}
	s := string(b)
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return fmt.Sprintf("it is another JSON document (it starts with %q)", s)
	}
	return fmt.Sprintf("it starts with %q", s)
}

// describe places an error in the file.
func (ld *loading) describe(lineNo int, err error) error {
	where := fmt.Sprintf("line %d", lineNo)
	if ld.cur != nil {
		where += ", account " + maskKey(ld.cur.acct.key)
	}
	if ld.take != nil || ld.section != "" {
		where += fmt.Sprintf(", %s line %d", ld.section, ld.index)
	}
	return stateErrorf(ErrStateCorrupt, "%s: %v", where, err)
}

// line takes one line of the body.
func (ld *loading) line(b []byte) error {
	if ld.left > 0 {
		ld.left--
		ld.index++
		return ld.take(b)
	}
	ld.section, ld.take, ld.index = "", nil, 0
	switch {
	case bytes.HasPrefix(b, []byte(`{"account":`)):
		var m accountMark
		if err := strictJSON(b, &m); err != nil {
			return fmt.Errorf("a damaged account line: %w", err)
		}
		return ld.startAccount(m)
	case bytes.HasPrefix(b, []byte(`{"section":`)):
		var m sectionMark
		if err := strictJSON(b, &m); err != nil {
			return fmt.Errorf("a damaged section line: %w", err)
		}
		return ld.startSection(m)
	}
	return fmt.Errorf("an account, a section or the end marker expected, found %s", clip(b))
}

func clip(b []byte) string {
	if len(b) > 60 {
		return strconv.Quote(string(b[:60])) + "…"
	}
	return strconv.Quote(string(b))
}

func (ld *loading) startAccount(m accountMark) error {
	if err := ld.finishAccount(); err != nil {
		return fmt.Errorf("account %s: %w", maskKey(ld.cur.acct.key), err)
	}
	if aerr := checkKey(m.Account); aerr != nil {
		return fmt.Errorf("an invalid account key %s", maskKey(m.Account))
	}
	if ld.keys[m.Account] {
		return fmt.Errorf("account %s appears twice", maskKey(m.Account))
	}
	ld.keys[m.Account] = true
	acct := ld.s.newAccount(m.Account)
	if m.APIVersion != "" || m.APIVersionSetBy != "" {
		v, ok := apiversion.Parse(m.APIVersion)
		by, byOK := parseSetBy(m.APIVersionSetBy)
		if !ok || !byOK {
			return fmt.Errorf("account %s: an unknown default API version %q (set by %q)", maskKey(m.Account), m.APIVersion, m.APIVersionSetBy)
		}
		acct.setDefaultAPIVersion(v, by, false)
	}
	if m.Billing != nil {
		d, err := fixtureBillingSettings(billing.DefaultDunning(), m.Billing)
		if err != nil {
			return fmt.Errorf("account %s: its billing settings: %w", maskKey(m.Account), err)
		}
		acct.dunning.Store(&d)
	}
	la := &loadingAccount{acct: acct, tx: acct.db.Write(), seq: m.Seq, sections: map[string]bool{}, eventIDs: map[string]bool{}}
	ld.cur = la
	ld.accounts = append(ld.accounts, la)
	return nil
}

func (ld *loading) startSection(m sectionMark) error {
	la := ld.cur
	if la == nil {
		return fmt.Errorf("section %s outside an account", m.Section)
	}
	if la.sections[m.Section] {
		return fmt.Errorf("section %s appears twice", m.Section)
	}
	if m.Count < 0 {
		return fmt.Errorf("section %s: count %d", m.Section, m.Count)
	}
	la.sections[m.Section] = true
	ld.section, ld.left = m.Section, m.Count
	if codec, ok := ld.s.reg.codecs[m.Section]; ok {
		table := m.Section
		ld.take = func(b []byte) error {
			r, err := codec.decode(b)
			if err != nil {
				return err
			}
			if err := la.tx.Restore(table, r); err != nil {
				return err
			}
			la.seq = max(la.seq, r.RecordMeta().Seq)
			ld.info.Objects++
			return nil
		}
		return nil
	}
	switch m.Section {
	case secMetering:
		if m.Count != 1 {
			return fmt.Errorf("section %s: count %d, want 1", m.Section, m.Count)
		}
		ld.take = func(b []byte) error {
			la.usage = &metering.Snapshot{}
			return strictJSON(b, la.usage)
		}
	case secSeries:
		ld.take = func(b []byte) error {
			if la.usage == nil {
				return errors.New("metering series before the metering header")
			}
			var st metering.SeriesState
			if err := strictJSON(b, &st); err != nil {
				return err
			}
			la.usage.Series = append(la.usage.Series, st)
			return nil
		}
	case secGenerations:
		ld.take = func(b []byte) error {
			if la.usage == nil {
				return errors.New("metering records before the metering header")
			}
			var g metering.GenerationState
			if err := strictJSON(b, &g); err != nil {
				return err
			}
			la.usage.Generations = append(la.usage.Generations, g)
			ld.info.MeterEvents += g.Count
			return nil
		}
	case secEvents:
		ld.take = func(b []byte) error {
			ev, err := restoreEvent(b)
			if err != nil {
				return err
			}
			if la.eventIDs[ev.id] {
				return fmt.Errorf("event %s appears twice", ev.id)
			}
			la.eventIDs[ev.id] = true
			la.events = append(la.events, ev)
			ld.info.Events++
			return nil
		}
	case secMeterErrors:
		ld.take = func(b []byte) error {
			v, err := parseStateValue(b)
			if err != nil {
				return err
			}
			o, _ := v.(jsonobj.Obj)
			m, okMeter := o.Get("meter")
			meterID, _ := m.(string)
			rep, _ := o.Get("report")
			report, okReport := rep.(jsonobj.Obj)
			if !okMeter || !okReport || len(o) != 2 || report.Str("id") == "" {
				return errors.New("not a meter error report")
			}
			la.acct.meterErrors.load(report, meterID)
			return nil
		}
	case secAlertFirings:
		ld.take = func(b []byte) error {
			var f [2]string
			if err := strictJSON(b, &f); err != nil {
				return err
			}
			if f[0] == "" || f[1] == "" {
				return errors.New("an empty alert or customer")
			}
			af := la.acct.alertFirings
			if af.fired == nil {
				af.fired = map[[2]string]bool{}
			}
			af.fired[f] = true
			return nil
		}
	default:
		return fmt.Errorf("an unknown section %q", m.Section)
	}
	return nil
}

// finishAccount completes the account being read: its records are committed,
// its metering store restored.
func (ld *loading) finishAccount() error {
	la := ld.cur
	if la == nil || la.tx == nil {
		return nil
	}
	la.tx.Commit()
	la.tx = nil
	la.acct.seq.Store(la.seq)
	if la.usage != nil {
		usage, err := metering.Restore(la.usage)
		if err != nil {
			return err
		}
		la.acct.usage = usage
		la.usage = nil
	} else if la.sections[secSeries] || la.sections[secGenerations] {
		return errors.New("metering series or records without the metering header")
	}
	if len(la.events) > maxEvents+maxEvents/4 {
		return fmt.Errorf("%d events, more than an account keeps", len(la.events))
	}
	la.acct.events.appendLoaded(la.events)
	la.events, la.eventIDs = nil, nil
	if n := len(la.acct.meterErrors.reports); n > maxMeterErrorReports+maxMeterErrorReports/4 {
		return fmt.Errorf("%d meter error reports, more than an account keeps", n)
	}
	la.acct.meterErrors.enforce()
	return nil
}

// abort drops the write transaction of an account left unfinished, and,
// unless they were installed, releases what the accounts read hold in the
// server's budgets (their events and error reports joined it as they loaded).
func (ld *loading) abort() {
	if ld.cur != nil && ld.cur.tx != nil {
		ld.cur.tx.Abort()
		ld.cur.tx = nil
	}
	if !ld.installed {
		for _, la := range ld.accounts {
			la.acct.release()
		}
	}
}

// install makes the loaded accounts the server's, if it has none yet (even
// past its maximum of accounts: the cap refuses new keys, never a state), and
// asks the tick to visit each once: what came due while the state was saved
// runs then, and each schedules its own next visit.
func (ld *loading) install() (stateMark, error) {
	a := ld.s.accounts
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.m); n > 0 {
		return stateMark{}, stateErrorf(ErrStateNotEmpty, "it has %d; state is loaded only into an emulator that has served no request yet", n)
	}
	mark := stateMark{}
	for _, la := range ld.accounts {
		a.m[la.acct.key] = la.acct
		a.changes++
		mark.accounts = append(mark.accounts, la.acct)
		mark.versions = append(mark.versions, la.acct.version())
		ld.s.sched.wakeAt(la.acct, 1)
	}
	mark.changes = a.changes
	ld.info.Accounts = len(ld.accounts)
	ld.installed = true
	return mark, nil
}

// restoreEvent rebuilds an event from its rendered JSON: pending_webhooks is 0
// (deliveries in flight are not saved).
func restoreEvent(b []byte) (*eventRecord, error) {
	v, err := parseStateValue(b)
	if err != nil {
		return nil, err
	}
	o, ok := v.(jsonobj.Obj)
	if !ok {
		return nil, errors.New("an event is not an object")
	}
	c, _ := o.Get("created")
	created, isInt := c.(int64)
	ev := &eventRecord{id: o.Str("id"), typ: o.Str("type"), created: created}
	if ev.id == "" || ev.typ == "" || !isInt || o.Str("object") != "event" {
		return nil, errors.New("not an event (id, type, created)")
	}
	if name := o.Str("api_version"); name != "" { // files from before events had versions are 2024-06-20's
		v, ok := apiversion.Parse(name)
		if !ok {
			return nil, fmt.Errorf("an event rendered at an unknown API version %q", name)
		}
		ev.version = v
	}
	switch data, _ := o.Get("data"); d := data.(type) {
	case jsonobj.Raw: // valid JSON: the tag reader checks every Raw
		if !strings.HasPrefix(string(d), "{") {
			return nil, errors.New("an event's data is not a JSON object")
		}
		ev.data = []byte(d)
	case jsonobj.Obj: // data with includable fields, or a file written when events were kept as trees
		ev.data = jsonobj.Marshal(d)
		if jsonobj.HasHidden(d) {
			ev.tree = d
		}
	default:
		return nil, errors.New("an event without data")
	}
	if req, _ := o.Get("request"); req != nil {
		if r, ok := req.(jsonobj.Obj); ok {
			ev.reqID = r.Str("id")
			ev.idemKey = r.Str("idempotency_key")
		}
	}
	return ev, nil
}

// strictJSON decodes one JSON value, refusing fields the type does not have.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the value")
	}
	return nil
}
