package server

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Report is one rebuild as /readyz shows it.
type Report struct {
	// Time is when the rebuild started.
	Time time.Time `json:"time"`
	// Trigger is "start", "schedule" or "sighup".
	Trigger string `json:"trigger"`
	// Result is "ok" or "failed"; a failed rebuild left the previous
	// documents serving.
	Result string `json:"result"`
	// Unchanged: no file changed since the last good build, which stands;
	// nothing was read or encoded.
	Unchanged bool `json:"unchanged,omitempty"`
	// Stalled: the rebuild ran longer than server.rebuild_timeout and was
	// cancelled (Result "failed"); Time says when it started.
	Stalled bool   `json:"stalled,omitempty"`
	Error   string `json:"error,omitempty"`
	// OutputError is set when the build succeeded (and is served) but
	// server.write_output could not write the output folder.
	OutputError string  `json:"output_error,omitempty"`
	Duration    string  `json:"duration"`
	DurationMS  int64   `json:"duration_ms"`
	Counts      *Counts `json:"counts,omitempty"`
}

// Counts are a successful rebuild's numbers.
type Counts struct {
	Read      int `json:"read"`      // Markdown files looked at
	Posts     int `json:"posts"`     // published posts
	Skipped   int `json:"skipped"`   // files that could not be used
	Feeds     int `json:"feeds"`     // feeds (site, tags, categories)
	Documents int `json:"documents"` // documents served (feeds × formats)
	Changed   int `json:"changed"`   // documents added, replaced or removed
}

// Status is what the probes report; replaced whole after a rebuild.
type Status struct {
	Last   *Report
	LastOK *Report
}

// Status is the last rebuild recorded, and the last that succeeded; nil
// before the first.
func (s *Handler) Status() *Status { return s.status.Load() }

// Record stores a rebuild's report for /readyz. Rebuilds are serialised, so a plain
// load-and-store is enough.
func (s *Handler) Record(rep *Report) {
	next := &Status{Last: rep}
	if prev := s.status.Load(); prev != nil {
		next.LastOK = prev.LastOK
	}
	if rep.Result == "ok" {
		next.LastOK = rep
	}
	s.status.Store(next)
}

// healthz says the process is alive and serving HTTP.
func (s *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}

// Readiness is the body of /readyz.
type Readiness struct {
	Ready       bool       `json:"ready"`
	Documents   int        `json:"documents"`
	LastRebuild *Report    `json:"last_rebuild,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	// Stale: the last successful rebuild started more than StaleAfter
	// ago: the feeds served may be out of date.
	Stale      bool   `json:"stale,omitempty"`
	StaleAfter string `json:"stale_after,omitempty"`
}

// readyz is 200 once a build succeeded (the feeds are being served), 503
// before; the body reports the last rebuild, which may have failed while
// an older good set is still served.
func (s *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	var body Readiness
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
	if s.StaleAfter > 0 && body.LastSuccess != nil {
		body.StaleAfter = s.StaleAfter.String()
		body.Stale = time.Since(*body.LastSuccess) > s.StaleAfter
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
