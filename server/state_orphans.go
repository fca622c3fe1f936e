package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tempPattern is the os.CreateTemp pattern of a save's temporary file beside
// the state file named base (CreateTemp puts digits for the *).
func tempPattern(base string) string { return "." + base + ".tmp-*" }

// RemoveOrphanedTempFiles removes the temporary files that saves to path left
// behind when the process died mid-save (each as large as the state): the
// regular files beside path named as SaveStateFile names its own, and nothing
// else. It returns the paths removed. Call it at start, before any save.
func RemoveOrphanedTempFiles(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("looking for temporary files of interrupted saves beside %s: %w", path, err)
	}
	prefix := strings.TrimSuffix(tempPattern(base), "*")
	var removed []string
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !allDigits(digits) || !e.Type().IsRegular() {
			continue
		}
		orphan := filepath.Join(dir, e.Name())
		if err := os.Remove(orphan); err != nil {
			return removed, fmt.Errorf("removing the temporary file of an interrupted save: %w", err)
		}
		removed = append(removed, orphan)
	}
	return removed, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
