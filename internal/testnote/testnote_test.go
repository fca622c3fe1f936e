package testnote

import (
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	for _, tt := range []struct {
		name, test, reason, want string
	}{
		{"one line", "TestDocker", "no Docker engine: the image is not built", "--- SKIP: testnote TestDocker: no Docker engine: the image is not built\n"},
		{"a reason over lines stays on one", "TestNode/x", "npm ci failed:\nnetwork", "--- SKIP: testnote TestNode/x: npm ci failed: network\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.test, tt.reason); got != tt.want {
				t.Errorf("Line = %q, want %q", got, tt.want)
			}
			if strings.Count(Line(tt.test, tt.reason), "\n") != 1 {
				t.Error("not one line")
			}
		})
	}
}

func TestSkipSkips(t *testing.T) {
	var sub *testing.T
	t.Run("skipped", func(t *testing.T) {
		sub = t
		Skip(t, "nothing to run here")
		t.Error("Skip returned")
	})
	if !sub.Skipped() {
		t.Error("the subtest was not skipped")
	}
}
