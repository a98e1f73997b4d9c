package server

import (
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/internal/handlertest"
)

func TestReadyzReportsRebuilds(t *testing.T) {
	s, _ := newTestServer(t, "")
	ok := &Report{Time: testModified, Trigger: "start", Result: "ok", Duration: "5ms", DurationMS: 5,
		Counts: &Counts{Posts: 2, Feeds: 5, Documents: 7, Changed: 7}}
	s.Record(ok)
	s.Record(&Report{Time: testModified.Add(time.Minute), Trigger: "schedule", Result: "failed", Error: "content directory: gone"})
	w := handlertest.Do(s, "GET", "/readyz")
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	for _, want := range []string{`"ready": true`, `"result": "failed"`, `"error": "content directory: gone"`,
		`"trigger": "schedule"`, `"last_success": "2024-03-05T09:00:00Z"`, `"documents": 7`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("readyz lacks %s:\n%s", want, w.Body)
		}
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestReadyzStaleness(t *testing.T) {
	for _, tt := range []struct {
		name       string
		age, after time.Duration
		want       string
	}{
		{"fresh", time.Minute, time.Hour, `"stale_after": "1h0m0s"`},
		{"stale", 2 * time.Hour, time.Hour, `"stale": true`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, "")
			s.StaleAfter = tt.after
			s.Record(&Report{Time: time.Now().Add(-tt.age), Trigger: "start", Result: "ok"})
			s.Record(&Report{Time: time.Now(), Trigger: "schedule", Result: "failed", Stalled: true, Error: "stalled"})
			w := handlertest.Do(s, "GET", "/readyz")
			if w.Code != 200 || !strings.Contains(w.Body.String(), tt.want) || !strings.Contains(w.Body.String(), `"stalled": true`) {
				t.Fatalf("%d, want 200 with %s and stalled:\n%s", w.Code, tt.want, w.Body)
			}
			if tt.name == "fresh" && strings.Contains(w.Body.String(), `"stale": true`) {
				t.Errorf("a fresh build reported stale:\n%s", w.Body)
			}
		})
	}
}
