package server

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/stripe-emulator/stripe-emulator/internal/fixtures"
	"hash"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Writing a state file: the format's marks and the sections of each account (see state.go).

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
	// APIVersion is the account's default API version and APIVersionSetBy
	// what set it ("request", "emulator", "fixtures"); both absent while it
	// has none (and in format 1).
	APIVersion      string `json:"api_version,omitempty"`
	APIVersionSetBy string `json:"api_version_set_by,omitempty"`
	// Billing are the account's dunning settings (/_emulator/account's
	// billing, in its shape), absent while they are Stripe's defaults.
	Billing *fixtures.BillingMeta `json:"billing,omitempty"`
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

// saveState writes the state, and returns what it wrote of each account.
func (s *Server) saveState(w io.Writer) (StateInfo, stateMark, error) {
	start := time.Now()
	accts, changes := s.accounts.list()
	sort.Slice(accts, func(i, j int) bool { return accts[i].key < accts[j].key })
	mark := stateMark{accounts: accts, versions: make([]accountVersion, len(accts)), changes: changes}
	now := s.clock.Now().UTC().Truncate(time.Second)
	info := StateInfo{SavedAt: now, Accounts: len(accts)}
	sw := newStateWriter(w)
	if err := sw.json(stateHeader{Version: StateFormatVersion, APIVersion: APIVersion, SavedAt: now.Format(time.RFC3339), Accounts: len(accts)}); err != nil {
		return info, mark, err
	}
	for i, acct := range accts {
		mark.versions[i] = acct.version() // before what it counts is read
		if err := saveAccount(sw, s.reg, acct, &info); err != nil {
			return info, mark, err
		}
	}
	if err := sw.end(); err != nil {
		return info, mark, err
	}
	info.Bytes, info.Duration = sw.bytes, time.Since(start)
	return info, mark, nil
}

func saveAccount(sw *stateWriter, reg *registry, acct *account, info *StateInfo) error {
	tx := acct.db.Read()
	defer tx.Abort()
	// After the snapshot: every sequence number it holds is at most seq.
	seq := acct.seq.Load()
	mark := accountMark{Account: acct.key, Seq: seq}
	if v, by := acct.defaultAPIVersion(); by != setByNone {
		mark.APIVersion, mark.APIVersionSetBy = v.String(), by.String()
	}
	if d := acct.dunning.Load(); d != nil {
		mark.Billing = billingMeta(*d)
	}
	if err := sw.json(mark); err != nil {
		return err
	}
	for _, t := range reg.tables {
		codec := reg.codecs[t.Name]
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
		var data any = jsonobj.Raw(ev.data)
		if ev.tree != nil {
			data = ev.tree // keeps its includable fields
		}
		if buf, err = appendStateValue(buf[:0], ev.envelope(ev.version, data, 0), 0); err != nil {
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
