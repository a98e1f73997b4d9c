package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/server"
)

func TestHealthURL(t *testing.T) {
	tests := []struct{ listen, want string }{
		{":8080", "http://127.0.0.1:8080/healthz"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000/healthz"},
		{"127.0.0.1:8080", "http://127.0.0.1:8080/healthz"},
		{"[::]:8080", "http://[::1]:8080/healthz"},
		{"[::1]:81", "http://[::1]:81/healthz"},
		{"localhost:8080", "http://localhost:8080/healthz"},
	}
	for _, tc := range tests {
		got, err := healthURL(tc.listen)
		if err != nil || got != tc.want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", tc.listen, got, err, tc.want)
		}
	}
	if _, err := healthURL("8080"); err == nil {
		t.Error("healthURL(\"8080\") did not fail")
	}
}

func TestHealthcheckCommand(t *testing.T) {
	healthy := httptest.NewServer(server.New("/feeds", "", nil))
	defer healthy.Close()
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	_, port, _ := net.SplitHostPort(strings.TrimPrefix(healthy.URL, "http://"))
	_, cfgPath := writeConfig(t, "testdata/content", fmt.Sprintf("server:\n  listen: \":%s\"\n", port))

	tests := []struct {
		name string
		args []string
		want int
	}{
		{"healthy", []string{"--url", healthy.URL + "/healthz"}, exitOK},
		{"healthy under the prefix", []string{"--url", healthy.URL + "/feeds/healthz"}, exitOK},
		{"from config", []string{"--config", cfgPath}, exitOK},
		{"503", []string{"--url", sick.URL + "/healthz"}, exitFailed},
		{"refused", []string{"--url", closedURL + "/healthz"}, exitFailed},
		{"explicit missing config", []string{"--config", t.TempDir() + "/none.yaml"}, exitFailed},
		{"bad flag", []string{"--nope"}, exitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(context.Background(), append([]string{"healthcheck"}, tc.args...), &stdout, &stderr); got != tc.want {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", got, tc.want, stdout.String(), stderr.String())
			}
		})
	}

	t.Run("default address without a config file", func(t *testing.T) {
		t.Chdir(t.TempDir())
		var stdout, stderr bytes.Buffer
		run(context.Background(), []string{"healthcheck", "--timeout", "1s"}, &stdout, &stderr)
		if !strings.Contains(stdout.String()+stderr.String(), "http://127.0.0.1:8080/healthz") {
			t.Errorf("did not check the default address:\n%s%s", stdout.String(), stderr.String())
		}
	})
}
