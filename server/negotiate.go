package server

import (
	"strconv"
	"strings"
)

// encoding is the outcome of Accept-Encoding negotiation.
type encoding int

const (
	encodingIdentity encoding = iota
	encodingGzip
	encodingNone // neither gzip nor identity is acceptable: 406
)

// negotiateEncoding reads Accept-Encoding (RFC 9110, 12.5.3). gzip is
// chosen whenever it is acceptable (q > 0, named or through "*") unless
// identity is named with a higher q. identity is acceptable unless
// excluded by "identity;q=0", or by "*;q=0" without identity named. No
// header, or an empty one, means identity.
func negotiateEncoding(values []string) encoding {
	gzipQ, identityQ, starQ := -1.0, -1.0, -1.0
	for _, v := range values {
		for el := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(el, ";")
			name = strings.TrimSpace(name)
			switch {
			case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
				gzipQ = max(gzipQ, qValue(params))
			case strings.EqualFold(name, "identity"):
				identityQ = qValue(params)
			case name == "*":
				starQ = qValue(params)
			}
		}
	}
	if gzipQ < 0 {
		gzipQ = max(starQ, 0)
	}
	identityOK := identityQ > 0 || identityQ < 0 && starQ != 0
	switch {
	case gzipQ > 0 && (identityQ < 0 || gzipQ >= identityQ):
		return encodingGzip
	case identityOK:
		return encodingIdentity
	}
	return encodingNone
}

// qValue reads the weight from ";q=0.5"-style parameters; 1 when absent,
// 0 when malformed.
func qValue(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0
		}
		return q
	}
	return 1
}
