package fingerprint

import (
	"testing"
	"time"
)

// TestUnambiguous: inputs that would run together as bare bytes hash
// apart, and the same inputs hash alike.
func TestUnambiguous(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	sum := func(write func(h *Hasher)) [32]byte {
		h := New()
		write(h)
		return h.Sum()
	}
	for _, tc := range []struct {
		name string
		a, b func(h *Hasher)
	}{
		{"strings split elsewhere",
			func(h *Hasher) { h.Str("ab"); h.Str("c") },
			func(h *Hasher) { h.Str("a"); h.Str("bc") }},
		{"empty string against none",
			func(h *Hasher) { h.Str("a"); h.Str("") },
			func(h *Hasher) { h.Str("a") }},
		{"lists split elsewhere",
			func(h *Hasher) { h.Strs([]string{"a", "b"}); h.Strs(nil) },
			func(h *Hasher) { h.Strs([]string{"a"}); h.Strs([]string{"b"}) }},
		{"string against its list",
			func(h *Hasher) { h.Str("a") },
			func(h *Hasher) { h.Strs([]string{"a"}) }},
		{"bools",
			func(h *Hasher) { h.Bool(true) },
			func(h *Hasher) { h.Bool(false) }},
		{"ints",
			func(h *Hasher) { h.Int(1) },
			func(h *Hasher) { h.Int(1 << 32) }},
		{"the same instant in another offset",
			func(h *Hasher) { h.Time(t0) },
			func(h *Hasher) { h.Time(t0.In(time.FixedZone("CEST", 2*60*60))) }},
		{"nanoseconds",
			func(h *Hasher) { h.Time(t0) },
			func(h *Hasher) { h.Time(t0.Add(time.Nanosecond)) }},
		{"earlier sums",
			func(h *Hasher) { h.Sum32([32]byte{1}) },
			func(h *Hasher) { h.Sum32([32]byte{31: 1}) }},
		{"render sums",
			func(h *Hasher) { h.Sum16([16]byte{1}) },
			func(h *Hasher) { h.Sum16([16]byte{15: 1}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := sum(tc.a), sum(tc.b)
			if a == b {
				t.Errorf("both hash to %x", a)
			}
			if again := sum(tc.a); again != a {
				t.Errorf("the same input hashed to %x, then %x", a, again)
			}
		})
	}
}

// TestZoneName: only the offset of a time's zone is hashed, not its
// name, which no document prints.
func TestZoneName(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("A", 3600))
	a, b := New(), New()
	a.Time(t0)
	b.Time(t0.In(time.FixedZone("B", 3600)))
	if a.Sum() != b.Sum() {
		t.Error("zones with the same offset and other names hash apart")
	}
}
