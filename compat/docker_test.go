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
	m := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(df)
	if m == nil || strings.HasPrefix(m[1], "0") || m[1] == "root" {
		t.Fatalf("the final image does not run as a non-root user")
	}
	// A directory the state file can be written to: scratch has no shell, so
	// it is made in the build stage and copied owned by the image's user.
	user := m[1]
	dir := regexp.MustCompile(`(?m)^RUN mkdir -p (\S+)$`).FindStringSubmatch(df)
	if dir == nil || !strings.Contains(df, "COPY --from=build --chown="+user+" "+dir[1]+" /data\n") {
		t.Errorf("no /data directory owned by %s for the state file", user)
	}
	if !strings.Contains(df, "COPY fixtures/ /fixtures/") {
		t.Error("the image lacks the fixtures at /fixtures")
	}
}

// Every example that publishes the emulator's port (README, compose.yaml,
// the Dockerfile's comments) publishes it on the host's 127.0.0.1 only.
func TestPublishedOnLoopbackOnly(t *testing.T) {
	publish := regexp.MustCompile(`(?:-p|--publish)[ =]("?)(\S+?)"?(?:\s|$)`)
	composePort := regexp.MustCompile(`(?m)^\s+-\s+"?([0-9.:]+)"?\s*$`)
	seen := 0
	for _, file := range []string{"../README.md", "../compose.yaml", "../Dockerfile"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for _, line := range strings.Split(text, "\n") {
			if !strings.Contains(line, "docker run") {
				continue
			}
			for _, m := range publish.FindAllStringSubmatch(line, -1) {
				seen++
				if !strings.HasPrefix(m[2], "127.0.0.1:") {
					t.Errorf("%s publishes %s beyond the loopback address: %s", file, m[2], strings.TrimSpace(line))
				}
			}
		}
		if strings.HasSuffix(file, ".yaml") {
			ports := composePort.FindAllStringSubmatch(text, -1)
			if len(ports) == 0 {
				t.Errorf("%s publishes no port", file)
			}
			for _, m := range ports {
				seen++
				if !strings.HasPrefix(m[1], "127.0.0.1:") {
					t.Errorf("%s publishes %s beyond the loopback address", file, m[1])
				}
			}
		}
	}
	if seen < 3 {
		t.Errorf("found only %d published ports in the examples", seen)
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
