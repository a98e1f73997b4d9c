package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/config"
	"github.com/syndicate/syndicate/internal/logtest"
)

func TestNewLogger(t *testing.T) {
	var buf logtest.Buffer
	log := newLogger(config.Log{Format: "json", Level: "warn"}, &buf)
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	out := strings.TrimSpace(buf.String())
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil || m["msg"] != "shown" || strings.Contains(out, "hidden") {
		t.Errorf("json/warn logger wrote %q (%v)", out, err)
	}

	buf = logtest.Buffer{}
	newLogger(config.Log{Format: "text", Level: "debug"}, &buf).Debug("dbg")
	if !strings.Contains(buf.String(), "level=DEBUG msg=dbg") {
		t.Errorf("text/debug logger wrote %q", buf.String())
	}
}
