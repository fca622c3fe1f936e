package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/server/clock"
)

// The golden transcript: a fixed script of requests (golden_script_test.go)
// served in-process on a manual clock, written out whole (every response's
// status, headers and body, every event each step raised, and the state file
// at the end) and compared byte for byte with testdata/golden/transcript.txt.
// It is what shows that a change of structure changed nothing a client sees.
//
// Every golden of issue 14's stage 0 is rewritten from the code as it is by
//
//	go test ./server -count=1 -run 'TestGoldenTranscript|TestRouteTable|TestPublicDeclarations|TestNoStatusLiterals|TestStateFileFromBefore' -update-golden -write-state-golden
//
// (-update-golden: testdata/golden/*; -write-state-golden, a flag of its own
// so that it is never given by habit: the state file from before the
// refactor, testdata/state/before-r14.*, which stages after 0 must keep).

var updateGolden = flag.Bool("update-golden", false, "rewrite the golden files under testdata/golden from this code")

// goldenKey is the account the script runs in; otherKey is a second one.
const (
	goldenKey = "sk_test_golden"
	otherKey  = "sk_test_other"
)

// gstep is one step of the script: a request, a clock move or a tick.
type gstep struct {
	note string // a heading: what the steps after it cover (no request)
	do   string // "METHOD /path?query"
	body string // a form body, or JSON for the /v2/ endpoints
	// as keeps the response's JSON under a name: {as.path} in a later step's
	// do, body or hdr is the value at path (dotted; numbers index arrays;
	// Request-Id is the response's header).
	as   string
	hdr  []string // request headers, name then value
	key  string   // the account's secret key (default goldenKey; "none": no Authorization)
	want int      // the status the step must get (default 200)
	at   string   // sets the manual clock to this RFC 3339 time instead of a request
	tick bool     // runs the emulator's tick (due work on its own clock) instead of a request
}

// goldenT0 is when the script starts: 2024-07-01T00:00:00Z.
var goldenT0 = time.Unix(1719792000, 0).UTC()

// transcript runs the script on a fresh server and returns its normalized text.
func transcript(t *testing.T, script []gstep) string {
	t.Helper()
	clk := clock.NewManual(goldenT0)
	var logged syncBuffer // what the server logs at warning level and above
	srv, err := New(Options{
		Clock:         clk,
		TickInterval:  -1, // the script ticks itself
		Logger:        slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: dropTime})),
		RequestLogger: slog.New(slog.DiscardHandler),
		DefaultCard:   "pm_card_visa", // the script's subscriptions are paid by card
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := &goldenRun{t: t, srv: srv, clk: clk, saved: map[string]map[string]any{}, cursor: map[string]string{}}
	for i, st := range script {
		r.step(i, st)
		if l := logged.take(); l != "" {
			fmt.Fprintf(&r.out, "-- log %s", l)
		}
	}
	r.writeState()
	return sumStateEvents(normalizeTranscript(r.out.String()))
}

// goldenRun is one run of the script.
type goldenRun struct {
	t      *testing.T
	srv    *Server
	clk    *clock.Manual
	out    strings.Builder
	saved  map[string]map[string]any
	cursor map[string]string // the newest event listed, per account key
	// objects are the JSON objects the step answered with and its events
	// carried: "response", or the event's ID, by the object.
	objects map[string]string
}

func (r *goldenRun) step(i int, st gstep) {
	t := r.t
	r.objects = map[string]string{}
	switch {
	case st.note != "":
		fmt.Fprintf(&r.out, "## %s\n", st.note)
		return
	case st.at != "":
		at, err := time.Parse(time.RFC3339, st.at)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		r.clk.Set(at)
		fmt.Fprintf(&r.out, "== %d clock %s\n", i, st.at)
	case st.tick:
		r.srv.tick()
		fmt.Fprintf(&r.out, "== %d tick\n", i)
	default:
		r.request(i, st)
		if strings.HasSuffix(st.do, " /_emulator/reset") {
			delete(r.cursor, st.key) // the account's events are gone
		}
	}
	r.newEvents(goldenKey, "")
	if st.key != "" && st.key != "none" && st.key != goldenKey {
		r.newEvents(st.key, "["+st.key+"] ")
	}
}

func (r *goldenRun) request(i int, st gstep) {
	t := r.t
	method, path, ok := strings.Cut(r.fill(i, st.do), " ")
	if !ok {
		t.Fatalf("step %d: %q is not METHOD /path", i, st.do)
	}
	body := r.fill(i, st.body)
	key := st.key
	if key == "" {
		key = goldenKey
	}
	var hdr []string
	for j := 0; j+1 < len(st.hdr); j += 2 {
		hdr = append(hdr, st.hdr[j], r.fill(i, st.hdr[j+1]))
	}
	w := r.serve(method, path, body, key, hdr...)
	fmt.Fprintf(&r.out, "== %d %s %s\n", i, method, path)
	if body != "" {
		fmt.Fprintf(&r.out, "> %s\n", body)
	}
	for j := 0; j+1 < len(hdr); j += 2 {
		fmt.Fprintf(&r.out, "> %s: %s\n", hdr[j], hdr[j+1])
	}
	fmt.Fprintf(&r.out, "< %d\n", w.Code)
	var hs []string
	for k, v := range w.Header() {
		// Request-Id is random; Content-Length varies with the length of
		// il_tmp_ line IDs (base 36 of a hash), which are renumbered.
		if k != "Request-Id" && k != "Content-Length" {
			hs = append(hs, "< "+k+": "+strings.Join(v, ","))
		}
	}
	sort.Strings(hs)
	for _, h := range hs {
		r.out.WriteString(h + "\n")
	}
	answer := strings.TrimSuffix(w.Body.String(), "\n")
	r.objects[answer] = "response"
	r.out.WriteString(answer + "\n")
	want := st.want
	if want == 0 {
		want = 200
	}
	if w.Code != want {
		t.Errorf("step %d %s %s: status %d, want %d: %s", i, method, path, w.Code, want, w.Body)
	}
	if st.as != "" {
		v := map[string]any{}
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("step %d: the response kept as %q is not a JSON object: %v", i, st.as, err)
		}
		v["Request-Id"] = w.Header().Get("Request-Id")
		r.saved[st.as] = v
	}
}

// serve sends one request to the server in-process.
func (r *goldenRun) serve(method, path, body, key string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "none" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		ct := "application/x-www-form-urlencoded"
		if strings.HasPrefix(path, "/v2/") {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for j := 0; j+1 < len(hdr); j += 2 {
		req.Header.Set(hdr[j], hdr[j+1])
	}
	w := httptest.NewRecorder()
	r.srv.ServeHTTP(w, req)
	return w
}

// newEvents writes the events of key's account that are newer than the last
// listed, oldest first, through GET /v1/events. An event whose data.object
// is byte for byte the step's response, or an earlier event's of the step,
// shows it as "=response" or "=<that event's ID>".
func (r *goldenRun) newEvents(key, label string) {
	for {
		q := "/v1/events?limit=100"
		if c := r.cursor[key]; c != "" {
			q += "&ending_before=" + c
		}
		w := r.serve("GET", q, "", key)
		var list struct {
			Data    []json.RawMessage `json:"data"`
			HasMore bool              `json:"has_more"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || w.Code != 200 {
			r.t.Fatalf("listing events: %d %s", w.Code, w.Body)
		}
		if r.cursor[key] == "" && list.HasMore {
			r.t.Fatal("the first step made more than 100 events")
		}
		for j := len(list.Data) - 1; j >= 0; j-- {
			var ev struct {
				ID, Type string
				Data     struct{ Object json.RawMessage }
			}
			if err := json.Unmarshal(list.Data[j], &ev); err != nil {
				r.t.Fatal(err)
			}
			text := string(list.Data[j])
			obj := string(ev.Data.Object)
			if same, ok := r.objects[obj]; ok {
				text = strings.Replace(text, `"data":{"object":`+obj, `"data":{"object":"=`+same+`"`, 1)
			} else {
				r.objects[obj] = ev.ID
			}
			fmt.Fprintf(&r.out, "-- %sevent %s %s\n", label, ev.Type, text)
			if j == 0 {
				r.cursor[key] = ev.ID
			}
		}
		if !list.HasMore {
			return
		}
	}
}

// writeState appends the state file.
func (r *goldenRun) writeState() {
	var buf bytes.Buffer
	if err := r.srv.SaveState(&buf); err != nil {
		r.t.Fatal(err)
	}
	st := stateSum.ReplaceAllString(buf.String(), `"sha256":"<sha256>"`)
	st = stateHashKey.ReplaceAllString(st, `"hash_key":"<random>"`)
	st = stateHashed.ReplaceAllStringFunc(st, func(m string) string {
		key, b64, _ := strings.Cut(m, `":"`)
		return key + `":"<` + strconv.Itoa(base64.StdEncoding.DecodedLen(len(b64)-1)) + ` bytes>"`
	})
	r.out.WriteString("== state\n" + st)
}

// sumStateEvents replaces, in a normalized transcript, the lines of each
// event log section of the state file, which hold the events listed after
// each step again (in the state's own encoding), by their count and digest.
func sumStateEvents(text string) string {
	head, state, ok := strings.Cut(text, "\n== state\n")
	if !ok {
		return text
	}
	var out strings.Builder
	out.WriteString(head + "\n== state\n")
	var events []string
	inEvents := false
	for _, line := range strings.SplitAfter(state, "\n") {
		if strings.HasPrefix(line, `{"section":`) || strings.HasPrefix(line, `{"account":`) || strings.HasPrefix(line, `{"end":`) {
			if inEvents {
				fmt.Fprintf(&out, "<%d events, sha256 %x>\n", len(events), sha256.Sum256([]byte(strings.Join(events, ""))))
				events = events[:0]
			}
			inEvents = strings.HasPrefix(line, `{"section":"events"`)
		} else if inEvents {
			events = append(events, line)
			continue
		}
		out.WriteString(line)
	}
	return out.String()
}

// The state file's checksum covers its random IDs; each metering store's
// identifier hash key is random, and so are the identifier hashes its
// per-event records (packed, in hash order) and its event time windows hold:
// of those only the size is kept.
var (
	stateSum     = regexp.MustCompile(`"sha256":"[0-9a-f]{64}"`)
	stateHashKey = regexp.MustCompile(`"hash_key":\[[0-9]+,[0-9]+\]`)
	stateHashed  = regexp.MustCompile(`"(?:records|windows)":"[A-Za-z0-9+/=]*"`)
)

var refRE = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\.([A-Za-z_.0-9-]+)\}`)

// fill replaces each {name.path} by the value at path of the response kept as name.
func (r *goldenRun) fill(i int, s string) string {
	return refRE.ReplaceAllStringFunc(s, func(m string) string {
		g := refRE.FindStringSubmatch(m)
		var v any = r.saved[g[1]]
		for _, part := range strings.Split(g[2], ".") {
			switch x := v.(type) {
			case map[string]any:
				v = x[part]
			case []any:
				n, err := strconv.Atoi(part)
				if err != nil || n >= len(x) {
					v = nil
				} else {
					v = x[n]
				}
			default:
				v = nil
			}
		}
		if v == nil {
			r.t.Fatalf("step %d: %s has no value", i, m)
		}
		if f, ok := v.(float64); ok {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return fmt.Sprint(v)
	})
}

// dropTime leaves the time out of log lines.
func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// The random parts of a transcript, renumbered in order of first appearance:
// tokens (invoice prefixes, generated meter event identifiers, session
// tokens) wherever they appear, then every ID, per prefix.
var randomTokens = []struct {
	label string
	re    *regexp.Regexp
}{
	{"prefix", regexp.MustCompile(`"(?:invoice_prefix|InvoicePrefix)":"([A-Z0-9]{8})"`)},
	{"identifier", regexp.MustCompile(`"(?:identifier|Identifier)":"([A-Za-z0-9]{24})"`)},
	{"token", regexp.MustCompile(`(mtres_test_[A-Za-z0-9]{48})`)},
}

func normalizeTranscript(text string) string {
	for _, tok := range randomTokens {
		seen := map[string]bool{}
		for _, m := range tok.re.FindAllStringSubmatch(text, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				text = strings.ReplaceAll(text, m[1], "<"+tok.label+"_"+strconv.Itoa(len(seen))+">")
			}
		}
	}
	return renumberIDs(text)
}

// renumberIDs replaces every ID by <prefix_N>, N counting the prefix's IDs
// in order of first appearance. An ID is a prefix of 2 to 8 lowercase
// letters (or upcoming_in, il_tmp), an underscore and at least 8 letters and
// digits, one of them a digit or a capital (which JSON keys such as
// tax_behavior have not; a preview's il_tmp_ IDs are base 36 and may have
// none). It begins after anything but a letter or digit, so that IDs made
// of IDs (a usage record summary's sis_<item ID>_…) have theirs renumbered.
func renumberIDs(text string) string {
	var out strings.Builder
	out.Grow(len(text))
	seen := map[string]string{}
	count := map[string]int{}
	last := 0
	for i := 0; i < len(text); i++ {
		if !isLower(text[i]) || i > 0 && isAlnum(text[i-1]) {
			continue
		}
		prefix, id := idAt(text[i:])
		if id == "" {
			for i+1 < len(text) && isLower(text[i+1]) { // the rest of the word cannot start an ID
				i++
			}
			continue
		}
		r, ok := seen[id]
		if !ok {
			count[prefix]++
			r = "<" + prefix + "_" + strconv.Itoa(count[prefix]) + ">"
			seen[id] = r
		}
		out.WriteString(text[last:i])
		out.WriteString(r)
		i += len(id) - 1
		last = i + 1
	}
	out.WriteString(text[last:])
	return out.String()
}

// idAt returns the ID s begins with and its prefix, or "" and "".
func idAt(s string) (prefix, id string) {
	anyChar := false
	switch {
	case strings.HasPrefix(s, "upcoming_in_"):
		prefix, anyChar = "upcoming_in", true
	case strings.HasPrefix(s, "il_tmp_"):
		prefix, anyChar = "il_tmp", true
	default:
		n := 0
		for n < len(s) && isLower(s[n]) {
			n++
		}
		if n < 2 || n > 8 || n == len(s) || s[n] != '_' {
			return "", ""
		}
		prefix = s[:n]
	}
	end, marked := len(prefix)+1, anyChar
	for end < len(s) && isAlnum(s[end]) {
		marked = marked || !isLower(s[end])
		end++
	}
	// A request ID's 14 random characters may all be lowercase letters (one
	// in 190,000): it is an ID all the same.
	marked = marked || prefix == "req" && end-len(prefix)-1 == 14
	if end-len(prefix)-1 < 8 || !marked {
		return "", "" // a custom ID (prod_seats) or words (tax_behavior)
	}
	return prefix, s[:end]
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

func isAlnum(c byte) bool { return isLower(c) || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

func TestGoldenTranscript(t *testing.T) {
	start := time.Now()
	a := transcript(t, goldenScript)
	b := transcript(t, goldenScript)
	if d := firstDiff(a, b); d != "" {
		t.Fatalf("two runs of the script differ (something in it is not deterministic): %s", d)
	}
	t.Logf("%d steps, %d lines, %d bytes, two runs in %v", strings.Count(a, "\n== ")-1, strings.Count(a, "\n"), len(a), time.Since(start).Round(time.Millisecond))
	checkGolden(t, "transcript.txt", a)
}

// checkGolden compares got with testdata/golden/name, or writes it there with -update-golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./server -run %s -update-golden writes it)", err, t.Name())
	}
	if d := firstDiff(string(want), got); d != "" {
		t.Errorf("%s (want) and this code's output (got) differ: %s\n"+
			"If the change is meant, go test ./server -run %s -update-golden rewrites it.", path, d, t.Name())
	}
}

// firstDiff describes where a and b first differ: the line, the heading it
// is under (the last "== " line before it: a transcript's step) and the text
// around the first differing byte. It is "" when they are equal.
func firstDiff(a, b string) string {
	if a == b {
		return ""
	}
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	step := ""
	for i := 0; ; i++ {
		if i >= len(la) || i >= len(lb) {
			return fmt.Sprintf("one has %d lines, the other %d", len(la), len(lb))
		}
		if la[i] == lb[i] {
			if strings.HasPrefix(la[i], "== ") {
				step = la[i]
			}
			continue
		}
		at := 0
		for at < len(la[i]) && at < len(lb[i]) && la[i][at] == lb[i][at] {
			at++
		}
		where := fmt.Sprintf("line %d", i+1)
		if step != "" {
			where += fmt.Sprintf(" (under %q)", step)
		}
		return fmt.Sprintf("%s, from byte %d:\nwant …%s…\ngot  …%s…", where, at, window(la[i], at), window(lb[i], at))
	}
}

// window is s around byte at.
func window(s string, at int) string {
	lo, hi := max(0, at-80), min(len(s), at+160)
	return s[lo:hi]
}

// The transcript's normaliser takes IDs for IDs and words for words, a
// request ID of lowercase letters only included.
func TestRenumberIDs(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`"id":"cus_Qa1bC2dE3fG4hI5jK6lM7nO8"`, `"id":"<cus_1>"`},
		{`"request_log_url":".../req_abcdefghijklmn"`, `"request_log_url":".../<req_1>"`},
		{`req_abcdefghijklmn req_Abcdefghijklmn req_abcdefghijklmn`, `<req_1> <req_2> <req_1>`},
		{`"tax_behavior":"unspecified","id":"prod_seats"`, `"tax_behavior":"unspecified","id":"prod_seats"`},
	} {
		if got := renumberIDs(tt.in); got != tt.want {
			t.Errorf("renumberIDs(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
