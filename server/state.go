package server

import (
	"errors"
	"fmt"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Saving and loading the emulator's state (-state-file).
//
// A state file is JSON lines:
//
//	{"stripe_emulator_state":2,"api_version":"2024-06-20","saved_at":"…","accounts":N}   the header
//	{"account":"sk_test_…","seq":S,"api_version":"…","api_version_set_by":"…","billing":{…}}  per account…
//	{"section":"customers","count":C}                                                      …per section,
//	…C lines, one per record…                                                              then its lines
//	{"end":"stripe_emulator_state","lines":L,"sha256":"…"}                                 the end marker
//
// The end marker holds the number of lines before it and the SHA-256 of their
// bytes, so that a file cut short or damaged is refused with a clear error
// rather than loaded in part. The header names the format version: a file of a
// newer format, or of another API version, is refused too. (Its api_version
// is the version of the stored model, 2024-06-20's; an account's own default
// API version is on its account line.)
//
// Format 2 added, each absent when unset, an account's default API version
// and what set it (account line), and a webhook endpoint's api_version
// (APIVersion); a format-1 file loads as one where none is set.
//
// An account's sections are its tables (records encoded with encoding/json,
// one Go type per table, see resource.codec), its metering store (aggregates, and
// the per-event records still within their 24-hour window, packed), its event
// log, its meter error reports and its alert firings. Values of the response
// model (jsonobj: rendered events, addresses…) are written in a tagged JSON
// form that keeps their Go types (see appendStateValue), so that they render
// and expand exactly as before.

// StateFormatVersion is the version of the state file format this emulator
// writes and reads.
const StateFormatVersion = 2

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
	_, _, err := s.saveState(w)
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
	_, _, err := s.loadState(r)
	return err
}

// SaveStateFile saves the state to path atomically: it writes a temporary
// file in the same directory, syncs it, renames it over path and syncs the
// directory, so that path always holds a complete state (the previous one
// until the rename). The file's mode is 0600: it holds API keys and webhook
// secrets. On failure the temporary file is removed and path is untouched.
func (s *Server) SaveStateFile(path string) (StateInfo, error) {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	return s.saveStateFile(path, nil)
}

// SaveStateFileIfChanged is SaveStateFile, skipped (saved false) when nothing
// the file holds has changed since the last state file was saved or loaded:
// no account was created or reset, and no account's objects, usage, events,
// error reports or alert firings changed. A periodic save of an idle
// emulator then costs a few counters per account instead of rewriting the
// whole file.
func (s *Server) SaveStateFileIfChanged(path string) (info StateInfo, saved bool, err error) {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if !s.changedSinceSave() {
		return StateInfo{Path: path}, false, nil
	}
	info, err = s.saveStateFile(path, nil)
	return info, err == nil, err
}

// accountVersion counts the changes to what a state file holds of an account:
// equal versions, equal content. Its objects change only by store commits;
// its usage, event log, error reports and alert firings, which do not go
// through the store, count their own: events and reports what joined and
// what was dropped (past an account's count or the budget), each on its own,
// since a sum could come back to the same value. (Today an event joins the
// log only with a commit or a meter event, and an alert fires only with a
// meter event; they count anyway, so that a save never depends on that
// staying so.)
type accountVersion struct {
	commits, usage                    uint64
	events, eventsDropped             uint64
	errorReports, errorReportsDropped uint64
	firings                           uint64
	// defaultVersion is the account's default API version, which a request
	// sets without a commit; dunning its billing settings (a new value is a
	// new pointer).
	defaultVersion uint32
	dunning        *billing.Dunning
}

func (a *account) version() accountVersion {
	v := accountVersion{commits: a.db.Commits(), usage: a.usage.Version(), defaultVersion: a.defaultVersion.Load(), dunning: a.dunning.Load()}
	a.events.mu.RLock()
	v.events, v.eventsDropped = a.events.next, a.events.dropped
	a.events.mu.RUnlock()
	a.meterErrors.mu.Lock()
	v.errorReports, v.errorReportsDropped = a.meterErrors.added, a.meterErrors.dropped
	a.meterErrors.mu.Unlock()
	a.alertFirings.mu.Lock()
	v.firings = uint64(len(a.alertFirings.fired))
	a.alertFirings.mu.Unlock()
	return v
}

// stateMark is what a save or load wrote: the accounts, their versions read
// before each was written, and the count of accounts created and dropped
// read with the list of accounts.
type stateMark struct {
	accounts []*account
	versions []accountVersion
	changes  uint64
}

// markSaved records what the state file now holds (under saveMu).
func (s *Server) markSaved(m stateMark) {
	s.savedAccounts, s.savedAny = m.changes, true
	for i, a := range m.accounts {
		a.saved = m.versions[i]
	}
}

// changedSinceSave reports whether anything the state file holds changed
// since the last one was saved or loaded (under saveMu).
func (s *Server) changedSinceSave() bool {
	accts, changes := s.accounts.list()
	if !s.savedAny || changes != s.savedAccounts {
		return true
	}
	for _, a := range accts {
		if a.version() != a.saved {
			return true
		}
	}
	return false
}

// saveStateFile is SaveStateFile, under saveMu; wrap, in tests, stands in for
// the file.
func (s *Server) saveStateFile(path string, wrap func(io.Writer) io.Writer) (info StateInfo, err error) {
	start := time.Now()
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return info, fmt.Errorf("saving state: %q is a directory, not a file", path)
	}
	f, err := os.CreateTemp(dir, tempPattern(base))
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
	var mark stateMark
	if info, mark, err = s.saveState(w); err != nil {
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
	s.markSaved(mark)
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
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	var mark stateMark
	info, mark, err = s.loadState(f)
	info.Found, info.Path, info.Duration = true, path, time.Since(start)
	if err != nil {
		var se *stateError
		if errors.As(err, &se) && se.kind != ErrStateNotEmpty {
			return info, fmt.Errorf("state file %s: %w; the emulator neither starts on it nor overwrites it: move it aside to start without it", path, err)
		}
		return info, fmt.Errorf("state file %s: %w", path, err)
	}
	s.markSaved(mark) // the file holds what was loaded
	return info, nil
}
