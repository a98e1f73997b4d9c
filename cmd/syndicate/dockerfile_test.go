package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/config"
)

// TestDockerfile checks what the image promises without a Docker engine:
// the build command CI runs (scripts/check-dockerfile runs it for real),
// a static non-root final image, volumes, port, health check, entry point,
// and that the example container config loads.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Skipf("no Dockerfile: %v", err)
	}
	df := string(b)
	for _, want := range []string{
		"\nFROM golang:1.26-bookworm AS build\n",
		"\nRUN CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/syndicate ./cmd/syndicate\n",
		"\nFROM gcr.io/distroless/static-debian12:nonroot\n",
		"\nCOPY --from=build /out/syndicate /syndicate\n",
		"\nUSER nonroot:nonroot\n",
		"\nCOPY --from=build --chown=65532:65532 /out/state /state\n",
		"\nVOLUME [\"/content\", \"/config\", \"/state\"]\n",
		"\nEXPOSE 8080\n",
		`CMD ["/syndicate", "healthcheck", "--config", "/config/config.yaml"]`,
		"\nENTRYPOINT [\"/syndicate\", \"serve\", \"--config\", \"/config/config.yaml\"]\n",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", strings.TrimSpace(want))
		}
	}
	if n := len(regexp.MustCompile(`(?m)^FROM `).FindAllString(df, -1)); n != 2 {
		t.Errorf("%d stages, want 2", n)
	}
	script, err := os.ReadFile("../../scripts/check-dockerfile")
	if err != nil || !strings.Contains(string(script), `expected='CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/syndicate ./cmd/syndicate'`) {
		t.Errorf("scripts/check-dockerfile does not check the Dockerfile's build command (%v)", err)
	}

	cfg, err := config.Load("../../deploy/config.docker.yaml")
	if err != nil {
		t.Fatalf("deploy/config.docker.yaml: %v", err)
	}
	if cfg.ContentDir != "/content" || cfg.Server.Listen != ":8080" || cfg.StateDir != "/state" {
		t.Errorf("container config: content_dir %q listen %q state_dir %q", cfg.ContentDir, cfg.Server.Listen, cfg.StateDir)
	}
	if u, _ := healthURL(cfg.Server.Listen); u != "http://127.0.0.1:8080/healthz" {
		t.Errorf("HEALTHCHECK would check %s", u)
	}
}
