package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"
)

// rebuildReport is one rebuild as /readyz shows it.
type rebuildReport struct {
	// Time is when the rebuild started.
	Time time.Time `json:"time"`
	// Trigger is "start", "schedule" or "sighup".
	Trigger string `json:"trigger"`
	// Result is "ok" or "failed"; a failed rebuild left the previous
	// documents serving.
	Result string `json:"result"`
	// Unchanged: no file changed since the last good build, which stands;
	// nothing was read or encoded.
	Unchanged bool   `json:"unchanged,omitempty"`
	Error     string `json:"error,omitempty"`
	// OutputError is set when the build succeeded (and is served) but
	// server.write_output could not write the output folder.
	OutputError string         `json:"output_error,omitempty"`
	Duration    string         `json:"duration"`
	DurationMS  int64          `json:"duration_ms"`
	Counts      *rebuildCounts `json:"counts,omitempty"`
}

// rebuildCounts are a successful rebuild's numbers.
type rebuildCounts struct {
	Read      int `json:"read"`      // Markdown files looked at
	Posts     int `json:"posts"`     // published posts
	Skipped   int `json:"skipped"`   // files that could not be used
	Feeds     int `json:"feeds"`     // feeds (site, tags, categories)
	Documents int `json:"documents"` // documents served (feeds × formats)
	Changed   int `json:"changed"`   // documents added, replaced or removed
}

// serveStatus is what the probes report; replaced whole after a rebuild.
type serveStatus struct {
	Last   *rebuildReport
	LastOK *rebuildReport
}

// record stores a rebuild's report. Rebuilds are serialised, so a plain
// load-and-store is enough.
func (s *feedServer) record(rep *rebuildReport) {
	next := &serveStatus{Last: rep}
	if prev := s.status.Load(); prev != nil {
		next.LastOK = prev.LastOK
	}
	if rep.Result == "ok" {
		next.LastOK = rep
	}
	s.status.Store(next)
}

// healthz says the process is alive and serving HTTP.
func (s *feedServer) healthz(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}

// readiness is the body of /readyz.
type readiness struct {
	Ready       bool           `json:"ready"`
	Documents   int            `json:"documents"`
	LastRebuild *rebuildReport `json:"last_rebuild,omitempty"`
	LastSuccess *time.Time     `json:"last_success,omitempty"`
}

// readyz is 200 once a build succeeded (the feeds are being served), 503
// before; the body reports the last rebuild, which may have failed while
// an older good set is still served.
func (s *feedServer) readyz(w http.ResponseWriter, r *http.Request) {
	var body readiness
	if set := s.set.Load(); set != nil {
		body.Ready = true
		body.Documents = len(set.docs)
	}
	if st := s.status.Load(); st != nil {
		body.LastRebuild = st.Last
		if st.LastOK != nil {
			t := st.LastOK.Time
			body.LastSuccess = &t
		}
	}
	b, _ := json.MarshalIndent(body, "", "  ")
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if !body.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write(append(b, '\n'))
}

// cmdHealthcheck GETs the local /healthz and exits 0 on 200, 1 otherwise.
// It exists so a container's HEALTHCHECK needs no shell or curl.
func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "config.yaml", "config `file` whose server.listen gives the address")
	rawURL := flags.String("url", "", "`URL` to check (default http://127.0.0.1:PORT/healthz from server.listen)")
	timeout := flags.Duration("timeout", 5*time.Second, "give up after this `duration`")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "syndicate healthcheck: unexpected argument %q\n", flags.Arg(0))
		return exitUsage
	}
	target := *rawURL
	if target == "" {
		listen := defaultConfig().Server.Listen
		configGiven := false
		flags.Visit(func(f *flag.Flag) { configGiven = configGiven || f.Name == "config" })
		if _, err := os.Stat(*configPath); configGiven || !errors.Is(err, fs.ErrNotExist) {
			cfg, ok := loadConfig(*configPath, stderr)
			if !ok {
				return exitFailed
			}
			listen = cfg.Server.Listen
		}
		u, err := healthURL(listen)
		if err != nil {
			fmt.Fprintf(stderr, "syndicate healthcheck: %v (use --url)\n", err)
			return exitFailed
		}
		target = u
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintf(stderr, "syndicate healthcheck: %v\n", err)
		return exitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "syndicate healthcheck: %v\n", err)
		return exitFailed
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "syndicate healthcheck: %s: %s\n", target, resp.Status)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s: %s\n", target, resp.Status)
	return exitOK
}

// healthURL turns a listen address into the URL of its /healthz on the
// loopback interface: ":8080" and "0.0.0.0:8080" become
// http://127.0.0.1:8080/healthz, "[::]:8080" http://[::1]:8080/healthz.
func healthURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("server.listen %q: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
