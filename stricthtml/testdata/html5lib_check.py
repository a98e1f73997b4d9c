"""Reads a JSON list of HTML fragments on stdin and writes a JSON list of
html5lib's verdicts: "" when a strict parser (html5lib, strict=True, the
fragment parsed in a <div>, as the W3C Feed Validation Service parses feed
HTML) reports no error, else the first error. Exits 3 when html5lib is
missing, so the Go test can skip with that reason."""
import json
import sys

try:
    import html5lib
    from html5lib.html5parser import ParseError
except ImportError as e:
    print("html5lib not importable: %s" % e, file=sys.stderr)
    sys.exit(3)

out = []
for frag in json.load(sys.stdin):
    try:
        html5lib.HTMLParser(strict=True).parseFragment(frag)
        out.append("")
    except ParseError as e:
        out.append(str(e) or "parse error")
json.dump(out, sys.stdout)
