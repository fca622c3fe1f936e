package compat

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// TestDockerfile checks the Dockerfile's promises on its text (no Docker engine needed).
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatalf("not multi-stage: %d FROM lines", len(froms))
	}
	for _, f := range froms {
		img := f[1]
		if img == "scratch" {
			continue
		}
		if !strings.Contains(img, ":") || strings.HasSuffix(img, ":latest") {
			t.Errorf("base image %s is not pinned to a version", img)
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "EXPOSE 12111", "HEALTHCHECK", `"healthcheck"`, "STRIPE_EMULATOR_ADDR=0.0.0.0:12111"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(df); m == nil || strings.HasPrefix(m[1], "0") || m[1] == "root" {
		t.Errorf("the final image does not run as a non-root user")
	}
}

// TestDockerBuild builds the image where a Docker engine answers.
func TestDockerBuild(t *testing.T) {
	if exec.Command("docker", "info").Run() != nil {
		testnote.Skip(t, "no Docker engine answers (docker info failed): the image is not built")
	}
	out, err := exec.Command("docker", "build", "-q", "-t", "stripe-emulator:compat-test", "..").CombinedOutput()
	if err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
}
