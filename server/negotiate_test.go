package server

import (
	"strings"
	"testing"
)

func TestNegotiateEncoding(t *testing.T) {
	tests := []struct {
		header []string
		want   encoding
	}{
		{nil, encodingIdentity},
		{[]string{""}, encodingIdentity},
		{[]string{"gzip"}, encodingGzip},
		{[]string{"GZIP;Q=1.0"}, encodingGzip},
		{[]string{"x-gzip"}, encodingGzip},
		{[]string{"gzip, deflate, br"}, encodingGzip},
		{[]string{"deflate", "gzip"}, encodingGzip},
		{[]string{"br"}, encodingIdentity},
		{[]string{"gzip;q=0"}, encodingIdentity},
		{[]string{"gzip; q=0.000"}, encodingIdentity},
		{[]string{"gzip;q=nonsense"}, encodingIdentity},
		{[]string{"*"}, encodingGzip},
		{[]string{"deflate, *;q=0.1"}, encodingGzip},
		{[]string{"*;q=0"}, encodingNone},
		{[]string{"*;q=0, identity"}, encodingIdentity},
		{[]string{"identity;q=0"}, encodingNone},
		{[]string{"gzip;q=0, identity;q=0"}, encodingNone},
		{[]string{"identity;q=0, gzip"}, encodingGzip},
		{[]string{"identity, gzip;q=0.5"}, encodingIdentity},
		{[]string{"gzip;q=0.5, identity;q=0.5"}, encodingGzip},
		{[]string{"identity"}, encodingIdentity},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.header, "|"), func(t *testing.T) {
			if got := negotiateEncoding(tc.header); got != tc.want {
				t.Errorf("negotiateEncoding(%q) = %d, want %d", tc.header, got, tc.want)
			}
		})
	}
}
