package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/syndicate/syndicate/config"
	"github.com/syndicate/syndicate/feedgen"
)

// fuzzGoodPost is published next to every fuzzed file; it must come
// through whatever its neighbour holds.
const fuzzGoodPost = `---
title: "Fixed good post"
date: 2024-05-01T12:00:00Z
tags: ["Good"]
categories: ["Fixed"]
---
A post that is always there. It links [home](/) and has *emphasis*.
`

const fuzzGoodLink = "https://example.org/2024/05/01/good/"

// fuzzNow is the build's clock, so the run is the same every time.
var fuzzNow = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// FuzzPipeline runs the whole post-to-feed path on one arbitrary file
// beside one good post: scan, render, plan, encode, write. Whatever the
// file holds, the build succeeds, the good post is published, every
// document is well-formed XML or JSON with no active content, and every
// file lands inside the output folder.
func FuzzPipeline(f *testing.F) {
	f.Add([]byte("---\ntitle: Hello\ndate: 2024-01-02\n---\nBody.\n"))
	f.Add([]byte("---\ntitle: \"<script>alert(1)</script>\"\ndate: 2024-01-02\n---\n<img src=x onerror=alert(1)>\n"))
	// One content folder per process: the fuzz function runs one input at
	// a time and rewrites fuzz.md.
	content := filepath.Join(f.TempDir(), "content")
	if err := os.MkdirAll(filepath.Join(content, "posts"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(content, "posts", "good.md"), []byte(fuzzGoodPost), 0o644); err != nil {
		f.Fatal(err)
	}
	cfg := config.Default()
	cfg.Site.URL = "https://example.org/"
	cfg.ContentDir = content
	cfg.OutputDir = "unused"
	if err := cfg.Validate(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mustDo(t, os.WriteFile(filepath.Join(content, "posts", "fuzz.md"), data, 0o644))
		res, snap, err := buildFor(&cfg)(context.Background(), fuzzNow)
		if err != nil {
			t.Fatalf("one file failed the whole build: %v", err)
		}
		for _, s := range res.Skipped {
			if s.Path != "posts/fuzz.md" || strings.TrimSpace(s.Err.Error()) == "" {
				t.Errorf("skipped %q: %v", s.Path, s.Err)
			}
		}
		if err := checkGoodPost(snap); err != nil {
			t.Error(err)
		}
		plain := true
		for _, p := range snap.Paths {
			d := snap.Docs[p]
			if !filepath.IsLocal(filepath.FromSlash(p)) || strings.Contains(p, `\`) {
				t.Errorf("document path %q is not inside the output folder", p)
			}
			plain = plain && plainDocPath.MatchString(p)
			if err := checkWellFormed(p, docBytes(t, d)); err != nil {
				t.Errorf("%s: %v\n%.2000s", p, err, docBytes(t, d))
				continue
			}
			if err := checkNoActiveContent(p, docBytes(t, d), strictTitles); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
		// Writing is most of the cost; a tree of plain names cannot
		// leave the folder, so only unusual names are written out.
		if !plain {
			parent := filepath.Join(t.TempDir(), "site")
			if _, err := snap.WriteTree(context.Background(), filepath.Join(parent, "public")); err != nil {
				t.Fatalf("WriteTree: %v", err)
			}
			checkOnlyTree(t, parent, snap)
		}
	})
}

// plainDocPath is a document path of lower-case ASCII words.
var plainDocPath = regexp.MustCompile(`^([a-z0-9]+(-[a-z0-9]+)*/)*(feed\.(rss|atom|json)|index\.html|feeds\.opml)$`)

// checkGoodPost: the site feed in every format lists the good post.
func checkGoodPost(snap *feedgen.Snapshot) error {
	for _, p := range []string{"feed.rss", "feed.atom", "feed.json", "tags/good/feed.json"} {
		d := snap.Docs[p]
		if d == nil {
			return fmt.Errorf("%s missing", p)
		}
		body, err := d.Bytes()
		if err != nil {
			return err
		}
		if !bytes.Contains(body, []byte(fuzzGoodLink)) || !bytes.Contains(body, []byte("Fixed good post")) {
			return fmt.Errorf("%s does not list the good post", p)
		}
	}
	return nil
}

// checkOnlyTree: the output folder's parent holds the output folder only,
// and that holds exactly the snapshot's documents and the marker.
func checkOnlyTree(t *testing.T, parent string, snap *feedgen.Snapshot) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil || len(entries) != 1 || entries[0].Name() != "public" {
		t.Fatalf("beside the output folder: %v %v", entries, err)
	}
	want := map[string]bool{".syndicate-output": true}
	for _, p := range snap.Paths {
		want[p] = true
	}
	out := filepath.Join(parent, "public")
	n := 0
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Errorf("walking the output: %v", err)
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			t.Errorf("symlink in the output: %s", p)
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(out, p)
		if !want[filepath.ToSlash(rel)] {
			t.Errorf("unexpected file in the output: %q", rel)
		}
		n++
		return nil
	})
	if n != len(want) {
		t.Errorf("%d files written for %d documents", n, len(snap.Paths))
	}
}

// strictTitles also holds plain-text fields (titles, descriptions,
// categories and tags, author names) to the HTML rules below: they are
// plain text in all three formats, but lenient readers render some of
// them as HTML, so source strips markup from them.
const strictTitles = true

// checkNoActiveContent decodes a document and looks at every string a
// reader renders as HTML: the formats' HTML fields (RSS item description
// and content:encoded, Atom type="html" and "xhtml", JSON content_html)
// and, with titles, the titles and feed descriptions. None may hold a
// script, frame, embed, style or form element, an on* handler attribute,
// a srcdoc, or a javascript:, vbscript: or data: URL; no link a reader
// follows may use those schemes either.
func checkNoActiveContent(path string, body []byte, titles bool) error {
	if strings.HasSuffix(path, ".html") {
		return nil // package pages holds its pages to the XSS corpus (TestHostileText)
	}
	if strings.HasSuffix(path, ".json") {
		return checkJSONActive(body, titles)
	}
	return checkXMLActive(body, titles)
}

func checkXMLActive(body []byte, titles bool) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	type frame struct {
		name     xml.Name
		htmlType string // Atom type attribute
		href     bool   // text is a URL
	}
	var stack []frame
	var text strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			fr := frame{name: tok.Name}
			for _, a := range tok.Attr {
				switch a.Name.Local {
				case "type":
					fr.htmlType = a.Value
				case "href", "src", "uri", "url":
					if err := checkURL(a.Value); err != nil {
						return fmt.Errorf("<%s %s>: %w", tok.Name.Local, a.Name.Local, err)
					}
				}
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					return fmt.Errorf("<%s> has a %s attribute", tok.Name.Local, a.Name.Local)
				}
			}
			// Inside Atom type="xhtml": the elements are the content.
			for _, f := range stack {
				if f.htmlType == "xhtml" {
					if err := checkHTML("<" + tok.Name.Local + xmlAttrs(tok.Attr) + ">"); err != nil {
						return fmt.Errorf("xhtml content: %w", err)
					}
				}
			}
			switch tok.Name.Local {
			case "link", "uri", "url", "comments", "docs":
				fr.href = true
			}
			stack = append(stack, fr)
			text.Reset()
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			fr := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			s := text.String()
			text.Reset()
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1].name.Local
			}
			inItem := parent == "item" || parent == "entry"
			var err error
			switch {
			case fr.href && strings.TrimSpace(s) != "":
				err = checkURL(s)
			case fr.name.Local == "encoded", // content:encoded
				fr.name.Local == "description" && inItem,
				fr.htmlType == "html":
				err = checkHTML(s)
			case titles && plainTextFields[fr.name.Local]:
				err = checkHTML(s)
			}
			if err != nil {
				return fmt.Errorf("<%s> in <%s>: %w: %.300q", fr.name.Local, parent, err, s)
			}
		}
	}
}

// plainTextFields are the RSS and Atom elements that hold plain text a
// lenient reader may still render as HTML.
var plainTextFields = map[string]bool{
	"title": true, "description": true, "subtitle": true, "category": true,
	"name": true, "creator": true, "author": true, "rights": true,
}

func xmlAttrs(attrs []xml.Attr) string {
	var b strings.Builder
	for _, a := range attrs {
		fmt.Fprintf(&b, " %s=%q", a.Name.Local, a.Value)
	}
	return b.String()
}

func checkJSONActive(body []byte, titles bool) error {
	type author struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		Avatar string `json:"avatar"`
	}
	var feed struct {
		Title       string   `json:"title"`
		Description string   `json:"description"`
		HomePageURL string   `json:"home_page_url"`
		FeedURL     string   `json:"feed_url"`
		Icon        string   `json:"icon"`
		Favicon     string   `json:"favicon"`
		Authors     []author `json:"authors"`
		Items       []struct {
			ID          string   `json:"id"`
			URL         string   `json:"url"`
			ExternalURL string   `json:"external_url"`
			Title       string   `json:"title"`
			ContentHTML string   `json:"content_html"`
			Image       string   `json:"image"`
			BannerImage string   `json:"banner_image"`
			Authors     []author `json:"authors"`
			Tags        []string `json:"tags"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &feed); err != nil {
		return err
	}
	urls := []string{feed.HomePageURL, feed.FeedURL, feed.Icon, feed.Favicon}
	for _, a := range feed.Authors {
		urls = append(urls, a.URL, a.Avatar)
	}
	if titles {
		plain := []string{feed.Title, feed.Description}
		for _, a := range feed.Authors {
			plain = append(plain, a.Name)
		}
		for _, it := range feed.Items {
			plain = append(plain, it.Tags...)
			for _, a := range it.Authors {
				plain = append(plain, a.Name)
			}
		}
		for _, s := range plain {
			if err := checkHTML(s); err != nil {
				return fmt.Errorf("plain-text field: %w: %.300q", err, s)
			}
		}
	}
	for _, it := range feed.Items {
		if err := checkHTML(it.ContentHTML); err != nil {
			return fmt.Errorf("content_html: %w: %.300q", err, it.ContentHTML)
		}
		if err := checkHTML(it.Title); titles && err != nil {
			return fmt.Errorf("title: %w: %.300q", err, it.Title)
		}
		urls = append(urls, it.URL, it.ExternalURL, it.Image, it.BannerImage)
		for _, a := range it.Authors {
			urls = append(urls, a.URL, a.Avatar)
		}
	}
	for _, u := range urls {
		if err := checkURL(u); err != nil {
			return err
		}
	}
	return nil
}

// activeElements run code, load other documents or restyle the page.
var activeElements = map[string]bool{
	"script": true, "iframe": true, "frame": true, "frameset": true, "object": true, "embed": true,
	"applet": true, "base": true, "meta": true, "link": true, "style": true, "form": true,
	"svg": true, "math": true, "template": true, "noscript": true, "portal": true, "xml": true,
}

// urlAttrs hold URLs a browser loads or follows.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "poster": true, "background": true,
	"cite": true, "longdesc": true, "xlink:href": true, "usemap": true, "data": true, "lowsrc": true,
	"dynsrc": true, "codebase": true, "manifest": true, "ping": true,
}

// checkHTML tokenises s as a browser would and reports active content.
// Text that merely mentions "javascript:" or "onerror=" is fine; a
// "<script" that reaches the tokenizer as a tag is not.
func checkHTML(s string) error {
	if s == "" {
		return nil
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return nil
			}
			return z.Err()
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tok := z.Token()
			name := strings.ToLower(tok.Data)
			if activeElements[name] {
				return fmt.Errorf("<%s> element", name)
			}
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				if a.Namespace != "" {
					key = strings.ToLower(a.Namespace) + ":" + key
				}
				switch {
				case strings.HasPrefix(key, "on"):
					return fmt.Errorf("<%s %s=...> handler", name, key)
				case key == "srcdoc" || key == "formaction":
					return fmt.Errorf("<%s %s=...>", name, key)
				case key == "style" && strings.ContainsAny(a.Val, "():\\"):
					return fmt.Errorf("<%s style=%q>", name, a.Val)
				case urlAttrs[key]:
					if err := checkURL(a.Val); err != nil {
						return fmt.Errorf("<%s %s>: %w", name, key, err)
					}
				case key == "srcset":
					for _, cand := range strings.Split(a.Val, ",") {
						if f := strings.Fields(cand); len(f) > 0 {
							if err := checkURL(f[0]); err != nil {
								return fmt.Errorf("<%s srcset>: %w", name, err)
							}
						}
					}
				}
			}
		}
	}
}

// checkURL refuses the schemes that run code or smuggle documents, as a
// browser reads them: control characters and white space inside the
// scheme are ignored, case does not matter.
func checkURL(u string) error {
	var b strings.Builder
	for _, r := range u {
		if r <= ' ' || r == 0x7f {
			continue
		}
		b.WriteRune(r)
		if b.Len() > 16 {
			break
		}
	}
	s := strings.ToLower(b.String())
	for _, bad := range []string{"javascript:", "vbscript:", "data:", "livescript:", "mocha:"} {
		if strings.HasPrefix(s, bad) {
			return fmt.Errorf("%s URL %.80q", strings.TrimSuffix(bad, ":"), u)
		}
	}
	return nil
}

// TestFuzzOracles: the checks FuzzPipeline relies on catch what they
// should and let ordinary feeds through.
func TestFuzzOracles(t *testing.T) {
	bad := []string{
		"<script>alert(1)</script>",
		"<SCRIPT SRC=x></SCRIPT>",
		"<img src=x onerror=alert(1)>",
		"<img src=x OnError=alert(1)>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<a href=\" JaVa\tScRiPt:alert(1)\">x</a>",
		"<a href=\"&#106;avascript:alert(1)\">x</a>",
		"<a href=\"data:text/html,x\">x</a>",
		"<iframe src=\"https://ok.example/\"></iframe>",
		"<p srcdoc=x>",
		"<svg><g/></svg>",
		"<div style=\"width: expression(alert(1))\">x</div>",
		"<img srcset=\"https://ok.example/a.png 1x, javascript:alert(1) 2x\">",
		"<form><button>x</button></form>",
	}
	for _, s := range bad {
		if checkHTML(s) == nil {
			t.Errorf("checkHTML(%q) found nothing", s)
		}
	}
	good := []string{
		"",
		"plain text mentioning javascript: and onerror= and a < b",
		"<p>Text <a href=\"https://example.org/x\">link</a> <img src=\"https://example.org/a.png\" alt=\"a\"></p>",
		"<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>",
		"<a href=\"mailto:a@example.org\">mail</a> <a href=\"#fn:1\">1</a>",
		"<p>unterminated <script",
	}
	for _, s := range good {
		if err := checkHTML(s); err != nil {
			t.Errorf("checkHTML(%q): %v", s, err)
		}
	}

	rss := func(item string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title><item>` + item + `</item></channel></rss>`)
	}
	for _, item := range []string{
		`<description>&lt;script&gt;alert(1)&lt;/script&gt;</description>`,
		`<content:encoded><![CDATA[<img src=x onerror=alert(1)>]]></content:encoded>`,
		`<link>javascript:alert(1)</link>`,
	} {
		b := rss(item)
		if err := checkWellFormed("feed.rss", b); err != nil {
			t.Fatalf("%s: %v", item, err)
		}
		if checkNoActiveContent("feed.rss", b, false) == nil {
			t.Errorf("active content not found in %s", item)
		}
	}
	if err := checkNoActiveContent("feed.rss", rss(`<title>&lt;script&gt;</title><description>&amp;lt;script&amp;gt;</description>`), false); err != nil {
		t.Errorf("escaped text flagged: %v", err)
	}
	if checkNoActiveContent("feed.rss", rss(`<title>&lt;script&gt;</title>`), true) == nil {
		t.Error("strict mode let markup in a title through")
	}
	atom := []byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:x">x</a></div></content></entry></feed>`)
	if checkNoActiveContent("feed.atom", atom, false) == nil {
		t.Error("xhtml content not checked")
	}
	jsonFeed := []byte(`{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","url":"https://example.org/","content_html":"<a href=\"javascript:x\">x</a>"}]}`)
	if checkNoActiveContent("feed.json", jsonFeed, false) == nil {
		t.Error("JSON content_html not checked")
	}

	for _, doc := range []string{
		"<rss><channel></channel>",             // unclosed
		"<rss></rss><rss></rss>",               // two roots
		"<rss>\x01</rss>",                      // forbidden character
		"<rss><a></b></rss>",                   // mismatched
		"<rss>&nbsp;</rss>",                    // undefined entity
		"<rss><![CDATA[ x ]]> ]]> y</rss>text", // text after the root
	} {
		if checkWellFormed("feed.rss", []byte(doc)) == nil {
			t.Errorf("checkWellFormed(%q) passed", doc)
		}
	}
	for _, doc := range []string{`{"version":"https://jsonfeed.org/version/1.1","items":[]`, `[]`, `{"items":[]}`} {
		if checkWellFormed("feed.json", []byte(doc)) == nil {
			t.Errorf("checkWellFormed(%q) passed", doc)
		}
	}
}
