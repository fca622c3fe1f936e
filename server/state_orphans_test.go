package server

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// crashingWriter panics partway through a save, as a process killed mid-save
// stops: the save's own cleanup never runs.
type crashingWriter struct{}

func (c crashingWriter) Write(p []byte) (int, error) { panic("killed mid-save") }

// A save cut short leaves its temporary file; RemoveOrphanedTempFiles removes
// exactly such files beside the state file, and nothing else.
func TestRemoveOrphanedTempFiles(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/v1/customers", "name=Kept")
	dir := t.TempDir()
	path := filepath.Join(dir, "state.jsonl")
	if _, err := e.srv.SaveStateFile(path); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = e.srv.saveStateFile(path, func(w io.Writer) io.Writer { return crashingWriter{} })
	}()
	names := func() []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, en := range entries {
			out = append(out, en.Name())
		}
		return out
	}
	crashed := slices.DeleteFunc(names(), func(n string) bool { return n == "state.jsonl" })
	if len(crashed) != 1 {
		t.Fatalf("the interrupted save left %q, want one temporary file", crashed)
	}
	keep := []string{
		"state.jsonl",
		".state.jsonl.tmp-",        // no digits
		".state.jsonl.tmp-12ab",    // not CreateTemp's
		".other.jsonl.tmp-123",     // another file's
		"state.jsonl.tmp-123",      // not hidden
		".state.jsonl.tmp-123.bak", // something else
	}
	for _, n := range keep[1:] {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".state.jsonl.tmp-77"), 0o700); err != nil { // a directory
		t.Fatal(err)
	}
	keep = append(keep, ".state.jsonl.tmp-77")
	orphan := filepath.Join(dir, ".state.jsonl.tmp-4294967295")
	if err := os.WriteFile(orphan, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	removed, err := RemoveOrphanedTempFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, crashed[0]), orphan}
	slices.Sort(want)
	slices.Sort(removed)
	if !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	got := names()
	slices.Sort(got)
	slices.Sort(keep)
	if !slices.Equal(got, keep) {
		t.Errorf("left %q, want %q", got, keep)
	}
	if removed, err := RemoveOrphanedTempFiles(filepath.Join(dir, "absent", "state.jsonl")); err != nil || removed != nil {
		t.Errorf("a missing directory: %q, %v", removed, err)
	}
}
