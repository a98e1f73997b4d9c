package server

import (
	"fmt"
	"strings"
	"testing"
)

// TestPlainCache: bodies come back whole, the budget holds, and a body
// requested again since the last eviction round is kept over one that
// was not.
func TestPlainCache(t *testing.T) {
	testHoldCompressed = true
	defer func() { testHoldCompressed = false }()
	c := plainCache{budget: 4 * 3000}
	var docs []*servedDoc
	for i := range 6 {
		body := fmt.Sprintf("%d", i) + strings.Repeat("x", 2999)
		docs = append(docs, newServedDoc(makeDoc(fmt.Sprintf("d%d.rss", i), body, testModified)))
	}
	get := func(i int) {
		t.Helper()
		b, err := c.get(docs[i])
		if err != nil || len(b) != 3000 || b[0] != byte('0'+i) {
			t.Fatalf("doc %d: %d bytes, err %v", i, len(b), err)
		}
	}
	for i := range 4 {
		get(i)
	}
	get(0) // marked: survives the next eviction
	get(4) // evicts 1, the oldest unmarked
	if docs[0].plain.Load() == nil || docs[1].plain.Load() != nil || docs[4].plain.Load() == nil {
		t.Errorf("kept 0:%v 1:%v 4:%v; want 0 and 4 kept, 1 dropped",
			docs[0].plain.Load() != nil, docs[1].plain.Load() != nil, docs[4].plain.Load() != nil)
	}
	for i := range 6 {
		get(i)
		if c.used > c.budget {
			t.Fatalf("cache holds %d bytes, budget %d", c.used, c.budget)
		}
	}
	held := 0
	for _, d := range docs {
		if d.plain.Load() != nil {
			held++
		}
	}
	if held != 4 || c.used != 4*3000 {
		t.Errorf("%d bodies held in %d bytes; want 4 in %d", held, c.used, 4*3000)
	}
}
