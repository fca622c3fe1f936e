package server

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stripe-emulator/stripe-emulator/server/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/server/metering"
	"github.com/stripe-emulator/stripe-emulator/server/store"
)

// Saving and loading the emulator's state (-state-file).
//
// A state file is JSON lines:
//
//	{"stripe_emulator_state":1,"api_version":"2024-06-20","saved_at":"…","accounts":N}   the header
//	{"account":"sk_test_…","seq":S}                                                        per account…
//	{"section":"customers","count":C}                                                      …per section,
//	…C lines, one per record…                                                              then its lines
//	{"end":"stripe_emulator_state","lines":L,"sha256":"…"}                                 the end marker
//
// The end marker holds the number of lines before it and the SHA-256 of their
// bytes, so that a file cut short or damaged is refused with a clear error
// rather than loaded in part. The header names the format version: a file of a
// newer format, or of another API version, is refused too.
//
// An account's sections are its tables (records encoded with encoding/json,
// one Go type per table, see stateCodecs), its metering store (aggregates, and
// the per-event records still within their 24-hour window, packed), its event
// log, its meter error reports and its alert firings. Values of the response
// model (jsonobj: rendered events, addresses…) are written in a tagged JSON
// form that keeps their Go types (see appendStateValue), so that they render
// and expand exactly as before.

// StateFormatVersion is the version of the state file format this emulator
// writes and reads.
const StateFormatVersion = 1

const (
	stateMagic     = `{"stripe_emulator_state":`
	stateEndPrefix = `{"end":`
	stateEndMark   = "stripe_emulator_state"
)

// Errors of LoadState and LoadStateFile, for errors.Is.
var (
	// ErrStateForeign: the file is not a stripe-emulator state file (empty,
	// another JSON document, binary…).
	ErrStateForeign = errors.New("not a stripe-emulator state file")
	// ErrStateCorrupt: a state file, but damaged: cut short, a checksum
	// mismatch, content that does not decode.
	ErrStateCorrupt = errors.New("corrupt state file")
	// ErrStateVersion: a state file of another format version (a newer
	// emulator's) or of another API version.
	ErrStateVersion = errors.New("unsupported state file version")
	// ErrStateNotEmpty: state is loaded only into a server that has no
	// accounts yet (before it serves requests).
	ErrStateNotEmpty = errors.New("the emulator already has accounts")
)

// stateError is an error of one of the kinds above, with its own message.
type stateError struct {
	kind error
	msg  string
}

func (e *stateError) Error() string { return e.msg }
func (e *stateError) Unwrap() error { return e.kind }

func stateErrorf(kind error, format string, args ...any) error {
	return &stateError{kind: kind, msg: kind.Error() + ": " + fmt.Sprintf(format, args...)}
}

// StateInfo describes a saved or loaded state, for logging.
type StateInfo struct {
	// Found reports whether LoadStateFile found a file (false: a fresh start).
	Found bool
	Path  string
	// SavedAt is when the state was saved, on the emulator's clock.
	SavedAt time.Time
	// Accounts, Objects (stored records of every table), Events (event log
	// entries) and MeterEvents (per-event records within their 24-hour window).
	Accounts, Objects, Events, MeterEvents int
	// Bytes is the size of the file.
	Bytes    int64
	Duration time.Duration
}

// SaveState writes the state of every account to w. It can run while the
// server serves requests: each account's objects are a consistent snapshot
// (a memdb read transaction), and its metering store, event log, error
// reports and alert firings are each copied under their own lock, one after
// the other; a request that lands during a save may be in some of these parts
// and not in others. Saved after the server stopped taking requests (graceful
// shutdown), the state is exact.
func (s *Server) SaveState(w io.Writer) error {
	_, err := s.saveState(w)
	return err
}

// LoadState reads a state written by SaveState into a server that has no
// accounts yet (load before serving requests); a server with accounts is
// refused with ErrStateNotEmpty. Nothing is loaded unless the whole state
// is: a foreign file fails with ErrStateForeign, a damaged one with
// ErrStateCorrupt, one of another format or API version with ErrStateVersion.
// Due work (renewals, finalizations) that came due while the state was saved
// runs on the next tick, as it would have.
func (s *Server) LoadState(r io.Reader) error {
	_, err := s.loadState(r)
	return err
}

// saveFileMu serializes SaveStateFile (a periodic save and the shutdown save).
var saveFileMu sync.Mutex

// SaveStateFile saves the state to path atomically: it writes a temporary
// file in the same directory, syncs it, renames it over path and syncs the
// directory, so that path always holds a complete state (the previous one
// until the rename). The file's mode is 0600: it holds API keys and webhook
// secrets. On failure the temporary file is removed and path is untouched.
func (s *Server) SaveStateFile(path string) (StateInfo, error) {
	return s.saveStateFile(path, nil)
}

// saveStateFile is SaveStateFile; wrap, in tests, stands in for the file.
func (s *Server) saveStateFile(path string, wrap func(io.Writer) io.Writer) (info StateInfo, err error) {
	saveFileMu.Lock()
	defer saveFileMu.Unlock()
	start := time.Now()
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return info, fmt.Errorf("saving state: %q is a directory, not a file", path)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return info, fmt.Errorf("saving state to %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			err = fmt.Errorf("saving state to %s: %w", path, err)
		}
	}()
	var w io.Writer = f
	if wrap != nil {
		w = wrap(f)
	}
	if info, err = s.saveState(w); err != nil {
		return info, err
	}
	if err = f.Sync(); err != nil {
		return info, err
	}
	if err = f.Close(); err != nil {
		return info, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return info, err
	}
	if err = syncDir(dir); err != nil {
		return info, err
	}
	info.Path, info.Duration = path, time.Since(start)
	return info, nil
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory (and
// needs not).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LoadStateFile loads the state saved at path (see LoadState). A missing file
// is a fresh start: no error, and info.Found is false. Any other failure is an
// error: the emulator must not start on a state it could not read, nor
// overwrite the file later with an empty state.
func (s *Server) LoadStateFile(path string) (info StateInfo, err error) {
	start := time.Now()
	info.Path = path
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return info, nil
	}
	if err != nil {
		return info, fmt.Errorf("reading state file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return info, fmt.Errorf("reading state file: %w", err)
	} else if st.IsDir() {
		return info, fmt.Errorf("state file %s is a directory", path)
	}
	info, err = s.loadState(f)
	info.Found, info.Path, info.Duration = true, path, time.Since(start)
	if err != nil {
		var se *stateError
		if errors.As(err, &se) && se.kind != ErrStateNotEmpty {
			return info, fmt.Errorf("state file %s: %w; the emulator neither starts on it nor overwrites it: move it aside to start without it", path, err)
		}
		return info, fmt.Errorf("state file %s: %w", path, err)
	}
	return info, nil
}

// The header, the account and section marks, and the end marker.
type stateHeader struct {
	Version    int    `json:"stripe_emulator_state"`
	APIVersion string `json:"api_version"`
	SavedAt    string `json:"saved_at"`
	Accounts   int    `json:"accounts"`
}

type accountMark struct {
	Account string `json:"account"`
	Seq     uint64 `json:"seq"`
}

type sectionMark struct {
	Section string `json:"section"`
	Count   int    `json:"count"`
}

type endMark struct {
	End    string `json:"end"`
	Lines  int    `json:"lines"`
	SHA256 string `json:"sha256"`
}

// Sections besides the tables.
const (
	secMetering     = "metering"
	secSeries       = "metering_series"
	secGenerations  = "metering_generations"
	secEvents       = "events"
	secMeterErrors  = "meter_error_reports"
	secAlertFirings = "alert_firings"
)

// stateWriter writes lines, hashing them.
type stateWriter struct {
	bw    *bufio.Writer
	h     hash.Hash
	enc   *json.Encoder
	lines int
	bytes int64
	buf   []byte
}

func newStateWriter(w io.Writer) *stateWriter {
	sw := &stateWriter{bw: bufio.NewWriterSize(w, 1<<18), h: sha256.New()}
	sw.enc = json.NewEncoder(sw)
	return sw
}

// Write implements io.Writer for the JSON encoder (which writes a value and
// its newline in one call).
func (sw *stateWriter) Write(p []byte) (int, error) {
	sw.h.Write(p)
	sw.bytes += int64(len(p))
	return sw.bw.Write(p)
}

// json writes v as one line.
func (sw *stateWriter) json(v any) error {
	sw.lines++
	return sw.enc.Encode(v)
}

// raw writes b (JSON without newlines) as one line.
func (sw *stateWriter) raw(b []byte) error {
	sw.lines++
	sw.buf = append(append(sw.buf[:0], b...), '\n')
	_, err := sw.Write(sw.buf)
	return err
}

func (sw *stateWriter) section(name string, count int) error {
	return sw.json(sectionMark{Section: name, Count: count})
}

func (sw *stateWriter) end() error {
	m := endMark{End: stateEndMark, Lines: sw.lines, SHA256: hex.EncodeToString(sw.h.Sum(nil))}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	sw.bytes += int64(len(b))
	if _, err := sw.bw.Write(b); err != nil {
		return err
	}
	return sw.bw.Flush()
}

func (s *Server) saveState(w io.Writer) (StateInfo, error) {
	start := time.Now()
	accts := s.accounts.all()
	sort.Slice(accts, func(i, j int) bool { return accts[i].key < accts[j].key })
	now := s.clock.Now().UTC().Truncate(time.Second)
	info := StateInfo{SavedAt: now, Accounts: len(accts)}
	sw := newStateWriter(w)
	if err := sw.json(stateHeader{Version: StateFormatVersion, APIVersion: APIVersion, SavedAt: now.Format(time.RFC3339), Accounts: len(accts)}); err != nil {
		return info, err
	}
	for _, acct := range accts {
		if err := saveAccount(sw, acct, &info); err != nil {
			return info, err
		}
	}
	if err := sw.end(); err != nil {
		return info, err
	}
	info.Bytes, info.Duration = sw.bytes, time.Since(start)
	return info, nil
}

func saveAccount(sw *stateWriter, acct *account, info *StateInfo) error {
	tx := acct.db.Read()
	defer tx.Abort()
	// After the snapshot: every sequence number it holds is at most seq.
	seq := acct.seq.Load()
	if err := sw.json(accountMark{Account: acct.key, Seq: seq}); err != nil {
		return err
	}
	for _, t := range tables {
		codec := stateCodecs[t.Name]
		if codec.encode == nil {
			return fmt.Errorf("saving state: no codec for table %s", t.Name)
		}
		n, err := tx.Count(t.Name)
		if err != nil {
			return err
		}
		if err := sw.section(t.Name, n); err != nil {
			return err
		}
		err = tx.Ascending(t.Name, func(r store.Record) error {
			b, err := codec.encode(r)
			if err != nil {
				return fmt.Errorf("saving state: %s %s: %w", t.Name, r.RecordID(), err)
			}
			return sw.raw(b)
		})
		if err != nil {
			return err
		}
		info.Objects += n
	}

	usage := acct.usage.Snapshot()
	for _, g := range usage.Generations {
		info.MeterEvents += g.Count
	}
	if err := sw.section(secMetering, 1); err != nil {
		return err
	}
	if err := sw.json(usage); err != nil {
		return err
	}
	if err := sw.section(secSeries, len(usage.Series)); err != nil {
		return err
	}
	for _, st := range usage.Series {
		if err := sw.json(st); err != nil {
			return err
		}
	}
	if err := sw.section(secGenerations, len(usage.Generations)); err != nil {
		return err
	}
	for _, g := range usage.Generations {
		if err := sw.json(g); err != nil {
			return err
		}
	}

	events := acct.events.snapshot()
	if err := sw.section(secEvents, len(events)); err != nil {
		return err
	}
	var buf []byte
	for _, ev := range events {
		var err error
		if buf, err = appendStateValue(buf[:0], ev.rendered, 0); err != nil {
			return fmt.Errorf("saving state: event %s: %w", ev.id, err)
		}
		if err := sw.raw(buf); err != nil {
			return err
		}
	}
	info.Events += len(events)

	me := acct.meterErrors
	me.mu.Lock()
	reports, meters := slices.Clone(me.reports), slices.Clone(me.meters)
	me.mu.Unlock()
	if err := sw.section(secMeterErrors, len(reports)); err != nil {
		return err
	}
	for i, rep := range reports {
		var err error
		if buf, err = appendStateValue(buf[:0], jsonobj.Obj{{K: "meter", V: meters[i]}, {K: "report", V: rep}}, 0); err != nil {
			return fmt.Errorf("saving state: meter error report: %w", err)
		}
		if err := sw.raw(buf); err != nil {
			return err
		}
	}

	af := acct.alertFirings
	af.mu.Lock()
	firings := make([][2]string, 0, len(af.fired))
	for k, v := range af.fired {
		if v {
			firings = append(firings, k)
		}
	}
	af.mu.Unlock()
	slices.SortFunc(firings, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	if err := sw.section(secAlertFirings, len(firings)); err != nil {
		return err
	}
	for _, f := range firings {
		if err := sw.json(f); err != nil {
			return err
		}
	}
	return nil
}

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

func (s *Server) loadState(r io.Reader) (StateInfo, error) {
	start := time.Now()
	sr := &stateReader{br: bufio.NewReaderSize(r, 1<<18), h: sha256.New()}
	ld := &loading{s: s, keys: map[string]bool{}}
	defer ld.abort()
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
	if err := ld.install(); err != nil {
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
	case h.Version > StateFormatVersion:
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
	acct, err := ld.s.newAccount(m.Account)
	if err != nil {
		return err
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
	if codec, ok := stateCodecs[m.Section]; ok {
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
			me := la.acct.meterErrors
			me.reports = append(me.reports, report)
			me.meters = append(me.meters, meterID)
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
	la.acct.events.append(la.events)
	la.events, la.eventIDs = nil, nil
	if n := len(la.acct.meterErrors.reports); n > maxMeterErrorReports {
		return fmt.Errorf("%d meter error reports, more than an account keeps", n)
	}
	return nil
}

// abort drops the write transaction of an account left unfinished.
func (ld *loading) abort() {
	if ld.cur != nil && ld.cur.tx != nil {
		ld.cur.tx.Abort()
		ld.cur.tx = nil
	}
}

// install makes the loaded accounts the server's, if it has none yet.
func (ld *loading) install() error {
	a := ld.s.accounts
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.m); n > 0 {
		return stateErrorf(ErrStateNotEmpty, "it has %d; state is loaded only into an emulator that has served no request yet", n)
	}
	for _, la := range ld.accounts {
		a.m[la.acct.key] = la.acct
	}
	ld.info.Accounts = len(ld.accounts)
	return nil
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
	ev := &eventRecord{id: o.Str("id"), typ: o.Str("type"), created: created, rendered: o}
	if ev.id == "" || ev.typ == "" || !isInt || o.Str("object") != "event" {
		return nil, errors.New("not an event (id, type, created)")
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

// Records: one Go type per table, encoded with encoding/json. Records hold
// only exported fields (a test checks it), so encoding/json keeps all of them
// exactly: pointers (nil or not), maps and slices (nil or empty), decimals (as
// their exact decimal strings). jsonobj.Obj fields (addresses…) are shadowed by
// a stateObj field of the same name, which writes them in the tagged form.

type recordCodec struct {
	typ    reflect.Type // the record's struct type
	encode func(store.Record) ([]byte, error)
	decode func([]byte) (store.Record, error)
}

func plainCodec[T any, P interface {
	*T
	store.Record
}]() recordCodec {
	return recordCodec{
		typ: reflect.TypeFor[T](),
		encode: func(r store.Record) ([]byte, error) {
			p, ok := r.(P)
			if !ok {
				return nil, fmt.Errorf("a %T in a table of %T", r, P(nil))
			}
			return json.Marshal(p)
		},
		decode: func(b []byte) (store.Record, error) {
			p := P(new(T))
			return p, strictJSON(b, p)
		},
	}
}

// shadowCodec is for records with jsonobj.Obj fields: S embeds *T and shadows
// those fields; wrap and unwrap convert.
func shadowCodec[T any, P interface {
	*T
	store.Record
}, S any](wrap func(P) *S, unwrap func(*S) P) recordCodec {
	return recordCodec{
		typ: reflect.TypeFor[T](),
		encode: func(r store.Record) ([]byte, error) {
			p, ok := r.(P)
			if !ok {
				return nil, fmt.Errorf("a %T in a table of %T", r, P(nil))
			}
			return json.Marshal(wrap(p))
		},
		decode: func(b []byte) (store.Record, error) {
			st := wrap(P(new(T)))
			if err := strictJSON(b, st); err != nil {
				return nil, err
			}
			return unwrap(st), nil
		},
	}
}

type customerState struct {
	*customer
	Address         stateObj
	InvoiceSettings stateObj
	Shipping        stateObj
}

type productState struct {
	*product
	PackageDimensions stateObj
}

type invoiceState struct {
	*invoice
	CustomerAddress  stateObj
	CustomerShipping stateObj
}

// stateObjFields are the fields the shadow types take over, by record type.
var stateObjFields = map[reflect.Type][]string{
	reflect.TypeFor[customer](): {"Address", "InvoiceSettings", "Shipping"},
	reflect.TypeFor[product]():  {"PackageDimensions"},
	reflect.TypeFor[invoice]():  {"CustomerAddress", "CustomerShipping"},
}

// stateCodecs has a codec for every table.
var stateCodecs = map[string]recordCodec{
	tCustomers: shadowCodec(func(c *customer) *customerState {
		return &customerState{customer: c, Address: stateObj(c.Address), InvoiceSettings: stateObj(c.InvoiceSettings), Shipping: stateObj(c.Shipping)}
	}, func(st *customerState) *customer {
		c := st.customer
		c.Address, c.InvoiceSettings, c.Shipping = jsonobj.Obj(st.Address), jsonobj.Obj(st.InvoiceSettings), jsonobj.Obj(st.Shipping)
		return c
	}),
	tProducts: shadowCodec(func(p *product) *productState {
		return &productState{product: p, PackageDimensions: stateObj(p.PackageDimensions)}
	}, func(st *productState) *product {
		p := st.product
		p.PackageDimensions = jsonobj.Obj(st.PackageDimensions)
		return p
	}),
	tInvoices: shadowCodec(func(inv *invoice) *invoiceState {
		return &invoiceState{invoice: inv, CustomerAddress: stateObj(inv.CustomerAddress), CustomerShipping: stateObj(inv.CustomerShipping)}
	}, func(st *invoiceState) *invoice {
		inv := st.invoice
		inv.CustomerAddress, inv.CustomerShipping = jsonobj.Obj(st.CustomerAddress), jsonobj.Obj(st.CustomerShipping)
		return inv
	}),
	tMeters:            plainCodec[meter](),
	tPrices:            plainCodec[price](),
	tSubscriptions:     plainCodec[subscription](),
	tSubscriptionItems: plainCodec[subItem](),
	tInvoiceItems:      plainCodec[invoiceItem](),
	tUsageRecords:      plainCodec[usageRecord](),
	tTestClocks:        plainCodec[testClock](),
	tWebhookEndpoints:  plainCodec[webhookEndpoint](),
	tAlerts:            plainCodec[alert](),
}

// stateObj is a jsonobj.Obj in a record, written in the tagged form.
type stateObj jsonobj.Obj

// MarshalJSON implements json.Marshaler.
func (o stateObj) MarshalJSON() ([]byte, error) {
	if o == nil {
		return []byte("null"), nil
	}
	return appendStateValue(nil, jsonobj.Obj(o), 0)
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *stateObj) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*o = nil
		return nil
	}
	v, err := parseStateValue(b)
	if err != nil {
		return err
	}
	obj, ok := v.(jsonobj.Obj)
	if !ok {
		return fmt.Errorf("an object expected, found %T", v)
	}
	*o = stateObj(obj)
	return nil
}

// The tagged form of response-model values: JSON where objects are
// jsonobj.Obj (keys in their order), strings, booleans, null and int64 are
// themselves, and every other value is an array whose first element names its
// Go type: ["Objs", {…}, …] is a []jsonobj.Obj, ["Any", …] a []any, ["Strs", …]
// a []string, ["Map", k, v, …] a map[string]string, ["Hidden", v] a
// jsonobj.Hidden (its value computed if it has a function), ["Decimal", "1.5"],
// ["Float", "1.5"], ["Int", 3], ["Uint32", 3], ["Uint64", "3"], ["Raw", "…"].
// A nil Obj, slice or map is ["Obj0"], ["Objs0"], ["Any0"], ["Strs0"], ["Map0"].
// Pointers are written as what they point to (or null). Anything else is
// written as Raw, its JSON: it renders the same.

const maxStateDepth = 200

func appendStateValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxStateDepth {
		return nil, errors.New("a value nested too deeply")
	}
	tag := func(t string) []byte { return append(append(append(b, `["`...), t...), '"') }
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsonobj.AppendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		b = strconv.AppendInt(append(tag("Int"), ','), int64(x), 10)
		return append(b, ']'), nil
	case uint32:
		b = strconv.AppendUint(append(tag("Uint32"), ','), uint64(x), 10)
		return append(b, ']'), nil
	case uint64:
		b = jsonobj.AppendString(append(tag("Uint64"), ','), strconv.FormatUint(x, 10))
		return append(b, ']'), nil
	case float64:
		b = jsonobj.AppendString(append(tag("Float"), ','), strconv.FormatFloat(x, 'g', -1, 64))
		return append(b, ']'), nil
	case jsonobj.Decimal:
		b = jsonobj.AppendString(append(tag("Decimal"), ','), string(x))
		return append(b, ']'), nil
	case jsonobj.Raw:
		b = jsonobj.AppendString(append(tag("Raw"), ','), string(x))
		return append(b, ']'), nil
	case *string:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendStateValue(b, *x, depth)
	case *bool:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendStateValue(b, *x, depth)
	case *int64:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendStateValue(b, *x, depth)
	case *jsonobj.Decimal:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendStateValue(b, *x, depth)
	case jsonobj.Obj:
		if x == nil {
			return append(tag("Obj0"), ']'), nil
		}
		b = append(b, '{')
		for i, f := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(jsonobj.AppendString(b, f.K), ':')
			if b, err = appendStateValue(b, f.V, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []jsonobj.Obj:
		if x == nil {
			return append(tag("Objs0"), ']'), nil
		}
		b = tag("Objs")
		for _, e := range x {
			if b, err = appendStateValue(append(b, ','), e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []any:
		if x == nil {
			return append(tag("Any0"), ']'), nil
		}
		b = tag("Any")
		for _, e := range x {
			if b, err = appendStateValue(append(b, ','), e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []string:
		if x == nil {
			return append(tag("Strs0"), ']'), nil
		}
		b = tag("Strs")
		for _, e := range x {
			b = jsonobj.AppendString(append(b, ','), e)
		}
		return append(b, ']'), nil
	case map[string]string:
		if x == nil {
			return append(tag("Map0"), ']'), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = tag("Map")
		for _, k := range keys {
			b = jsonobj.AppendString(append(b, ','), k)
			b = jsonobj.AppendString(append(b, ','), x[k])
		}
		return append(b, ']'), nil
	case jsonobj.Hidden:
		if b, err = appendStateValue(append(tag("Hidden"), ','), x.Value(), depth+1); err != nil {
			return nil, err
		}
		return append(b, ']'), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("a %T: %w", v, err)
	}
	b = jsonobj.AppendString(append(tag("Raw"), ','), string(raw))
	return append(b, ']'), nil
}

// parseStateValue reads a value in the tagged form.
func parseStateValue(b []byte) (any, error) {
	p := stateParser{b: b}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.b) {
		return nil, p.errorf("data after the value")
	}
	return v, nil
}

type stateParser struct {
	b []byte
	i int
}

func (p *stateParser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *stateParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *stateParser) expect(c byte) error {
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != c {
		return p.errorf("%q expected", c)
	}
	p.i++
	return nil
}

func (p *stateParser) literal(word string, v any) (any, error) {
	if !bytes.HasPrefix(p.b[p.i:], []byte(word)) {
		return nil, p.errorf("an invalid value")
	}
	p.i += len(word)
	return v, nil
}

func (p *stateParser) value(depth int) (any, error) {
	if depth > maxStateDepth {
		return nil, p.errorf("nested too deeply")
	}
	p.space()
	if p.i >= len(p.b) {
		return nil, p.errorf("a value expected")
	}
	switch c := p.b[p.i]; {
	case c == 'n':
		return p.literal("null", nil)
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == '"':
		return p.string()
	case c == '-' || c >= '0' && c <= '9':
		return p.int()
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.tagged(depth)
	}
	return nil, p.errorf("an invalid value")
}

func (p *stateParser) string() (string, error) {
	start := p.i
	p.i++
	escaped := false
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			if !escaped {
				if !utf8.Valid(p.b[start+1 : p.i-1]) {
					return "", fmt.Errorf("offset %d: a string that is not UTF-8", start)
				}
				return string(p.b[start+1 : p.i-1]), nil
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return "", fmt.Errorf("offset %d: %w", start, err)
			}
			return s, nil
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return "", p.errorf("a control character in a string")
		default:
			p.i++
		}
	}
	return "", p.errorf("an unterminated string")
}

func (p *stateParser) int() (int64, error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return 0, p.errorf("a number that is not an integer (floats are tagged)")
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("offset %d: %w", start, err)
	}
	return n, nil
}

func (p *stateParser) object(depth int) (jsonobj.Obj, error) {
	p.i++
	o := jsonobj.Obj{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return o, nil
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, p.errorf("a key expected")
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		o = append(o, jsonobj.Field{K: k, V: v})
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if err := p.expect('}'); err != nil {
			return nil, err
		}
		return o, nil
	}
}

// tagged reads an array: its tag, then its elements.
func (p *stateParser) tagged(depth int) (any, error) {
	p.i++
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, p.errorf("an array without its type tag")
	}
	at := p.i
	tag, err := p.string()
	if err != nil {
		return nil, err
	}
	var elems []any
	for {
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			break
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		elems = append(elems, v)
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("offset %d: an invalid %q value", at, tag)
	}
	one := func() (any, bool) {
		if len(elems) != 1 {
			return nil, false
		}
		return elems[0], true
	}
	oneString := func() (string, bool) {
		v, ok := one()
		s, isString := v.(string)
		return s, ok && isString
	}
	switch tag {
	case "Obj0", "Objs0", "Any0", "Strs0", "Map0":
		if len(elems) != 0 {
			return bad()
		}
		switch tag {
		case "Obj0":
			return jsonobj.Obj(nil), nil
		case "Objs0":
			return []jsonobj.Obj(nil), nil
		case "Any0":
			return []any(nil), nil
		case "Strs0":
			return []string(nil), nil
		}
		return map[string]string(nil), nil
	case "Objs":
		out := make([]jsonobj.Obj, len(elems))
		for i, e := range elems {
			o, ok := e.(jsonobj.Obj)
			if !ok {
				return bad()
			}
			out[i] = o
		}
		return out, nil
	case "Any":
		if elems == nil {
			elems = []any{}
		}
		return elems, nil
	case "Strs":
		out := make([]string, len(elems))
		for i, e := range elems {
			s, ok := e.(string)
			if !ok {
				return bad()
			}
			out[i] = s
		}
		return out, nil
	case "Map":
		if len(elems)%2 != 0 {
			return bad()
		}
		out := make(map[string]string, len(elems)/2)
		for i := 0; i < len(elems); i += 2 {
			k, ok1 := elems[i].(string)
			v, ok2 := elems[i+1].(string)
			if _, dup := out[k]; !ok1 || !ok2 || dup {
				return bad()
			}
			out[k] = v
		}
		return out, nil
	case "Hidden":
		v, ok := one()
		if !ok {
			return bad()
		}
		return jsonobj.Hidden{V: v}, nil
	case "Decimal":
		s, ok := oneString()
		if !ok {
			return bad()
		}
		return jsonobj.Decimal(s), nil
	case "Raw":
		s, ok := oneString()
		if !ok || !json.Valid([]byte(s)) {
			return bad()
		}
		return jsonobj.Raw(s), nil
	case "Float":
		s, ok := oneString()
		f, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil {
			return bad()
		}
		return f, nil
	case "Uint64":
		s, ok := oneString()
		n, err := strconv.ParseUint(s, 10, 64)
		if !ok || err != nil {
			return bad()
		}
		return n, nil
	case "Int", "Uint32":
		v, ok := one()
		n, isInt := v.(int64)
		if !ok || !isInt {
			return bad()
		}
		if tag == "Uint32" {
			if n < 0 || n > math.MaxUint32 {
				return bad()
			}
			return uint32(n), nil
		}
		if int64(int(n)) != n {
			return bad()
		}
		return int(n), nil
	}
	return nil, fmt.Errorf("offset %d: an unknown type tag %q", at, tag)
}
