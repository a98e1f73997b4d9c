package server

import "testing"

func TestRedactor(t *testing.T) {
	r := Redactor(map[string]string{
		"/srv/site/content":      "<content_dir>",
		"/srv/site/public":       "<output_dir>",
		"/srv/site":              "<output_dir>/..",
		"/srv/site/config":       "<config_dir>",
		"":                       "<nothing>",
		"/srv/site/content/../x": "<odd>",
	})
	tests := map[string]string{
		"content directory: stat /srv/site/content: no such file or directory":      "content directory: stat <content_dir>: no such file or directory",
		"output: open /srv/site/.public.new-123/feed.rss: file too large":           "output: open <output_dir>/../.public.new-123/feed.rss: file too large",
		"output: /srv/site/public holds files syndicate did not write (index.html)": "output: <output_dir> holds files syndicate did not write (index.html)",
		"content directory: lstat /srv/site/content/posts/a.md: permission denied":  "content directory: lstat <content_dir>/posts/a.md: permission denied",
		"content directory /srv/site/x is not a directory":                          "content directory <odd> is not a directory",
		"nothing to hide": "nothing to hide",
	}
	for in, want := range tests {
		if got := r(in); got != want {
			t.Errorf("redact(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}
