// Package pubstate keeps what a site has published, between runs, so
// that what subscribers' readers already hold never breaks: the id every
// item was published with and the post it belongs to, every tag and
// category feed ever published, and when each document's bytes last
// changed. feedgen plans from it (feedgen.Earlier) and the pipeline
// records each build in it once the output is published.
//
// It is state, not cache: nothing in it can be made again from the
// content folder, so a damaged file is never replaced or repaired here
// (Open fails and says how to recover). It lives in one SQLite database
// (modernc.org/sqlite: pure Go, so static builds keep working) in WAL
// mode, written by one process at a time, one transaction per build.
package pubstate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/syndicate/syndicate/feedgen"
)

// FileName is the database's name in the state folder; SQLite keeps its
// write-ahead log beside it (FileName + "-wal", "-shm").
const FileName = "syndicate-state.db"

// lockName is the file a process holds locked while it has the state
// open, so a second process on the same folder is refused.
const lockName = "syndicate-state.lock"

// ErrInUse is returned by Open when another process has the state open.
var ErrInUse = errors.New("in use by another syndicate process")

// migrations are the schema's versions: migrations[i] takes a database
// from version i to i+1 (PRAGMA user_version). Append; never edit one
// that has shipped.
var migrations = []string{
	`CREATE TABLE items (
		site TEXT NOT NULL,
		id TEXT NOT NULL,
		path TEXT NOT NULL,
		post_id TEXT NOT NULL,
		title TEXT NOT NULL,
		published INTEGER NOT NULL, -- Unix nanoseconds
		body_hash TEXT NOT NULL,
		first_published INTEGER NOT NULL,
		last_published INTEGER NOT NULL,
		PRIMARY KEY (site, id)
	) WITHOUT ROWID;
	CREATE TABLE feeds (
		site TEXT NOT NULL,
		kind TEXT NOT NULL,
		slug TEXT NOT NULL,
		name TEXT NOT NULL,
		first_published INTEGER NOT NULL,
		last_with_posts INTEGER NOT NULL,
		PRIMARY KEY (site, kind, slug)
	) WITHOUT ROWID;
	CREATE TABLE documents (
		site TEXT NOT NULL,
		path TEXT NOT NULL,
		fingerprint TEXT NOT NULL,
		etag TEXT NOT NULL,
		changed INTEGER NOT NULL,
		last_published INTEGER NOT NULL,
		PRIMARY KEY (site, path)
	) WITHOUT ROWID;`,
}

// Store is the open state of one state folder, for one site. Its
// methods are not safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	site string
	lock *os.File

	items map[string]Item // by id
	feeds map[feedKey]Feed
	docs  map[string]Document

	// Indexes of items, kept up to date by Record, so that a plan looks
	// up the posts it lists without reading every item: byPath holds the
	// id last published for a path, the others sorted ids.
	byPath      map[string]string
	byPostID    map[string][]string
	byTitleDate map[titleDate][]string
	byBody      map[string][]string
}

var _ feedgen.PublishedItems = (*Store)(nil)

type titleDate struct {
	title string
	ns    int64
}

// Item is a published item as the state records it.
type Item struct {
	feedgen.PublishedItem
	// FirstPublished is the first build that published the id;
	// LastPublished the last that published it with other fields (a new
	// path, title, ...) than before.
	FirstPublished, LastPublished time.Time
}

// Feed is a tag or category feed as the state records it.
type Feed struct {
	Kind           feedgen.Kind
	Slug, Name     string
	FirstPublished time.Time
	// LastWithPosts is the last build in which it listed a post, give
	// or take feedTimeGrain.
	LastWithPosts time.Time
}

type feedKey struct {
	kind feedgen.Kind
	slug string
}

// Document is a published document as the state records it.
type Document struct {
	Path        string
	Fingerprint string
	ETag        string
	// Changed is when its bytes last changed.
	Changed time.Time
}

// Open opens (creating it if need be) the state in dir for site (its
// URL: one folder may hold several sites' states) and reads it. It fails,
// and never replaces anything, when the file is damaged or of a newer
// schema, when it cannot be written, and (ErrInUse) when another process
// has it open: the build must stop rather than publish ids it cannot
// keep.
func Open(ctx context.Context, dir, site string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	path := filepath.Join(dir, FileName)
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		if errors.Is(err, ErrInUse) {
			return nil, fmt.Errorf("state: %s is %w (a serve or build with the same state_dir); stop it, or give this run a state_dir of its own", dir, err)
		}
		return nil, fmt.Errorf("state: lock %s: %w", dir, err)
	}
	s := &Store{path: path, site: site, lock: lock}
	if err := s.open(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// damaged is the error for a file SQLite cannot read as a database;
// other failures to read it (a full disk, no permission) are said as
// they are.
func (s *Store) damaged(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
		default:
			if isBusy(err) {
				return s.busy(err)
			}
			return fmt.Errorf("state: read %s: %w", s.path, err)
		}
	}
	return fmt.Errorf("state: %s is damaged (%v); syndicate never replaces it: restore it from a backup, "+
		"or move it (and any %s-wal beside it) away to start afresh, after which ids of posts whose date or file "+
		"name changed since they were published are made anew (README, \"Publication state\")", s.path, err, FileName)
}

func (s *Store) open(ctx context.Context) error {
	u := url.URL{Scheme: "file", Path: s.path, OmitHost: true}
	dsn := u.String() + "?_busy_timeout=5000&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("state: open %s: %w", s.path, err)
	}
	db.SetMaxOpenConns(1) // one writer, and one connection to lock with
	s.db = db
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		if isBusy(err) {
			return s.busy(err)
		}
		return s.damaged(err)
	}
	if check != "ok" {
		return s.damaged(errors.New(check))
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("state: %s: journal mode: %w", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("state: %s: cannot use WAL mode (journal_mode %q)", s.path, mode)
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	return s.load(ctx)
}

func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func (s *Store) busy(err error) error {
	return fmt.Errorf("state: %s is locked by another program; syndicate waited 5 s for it: %w", s.path, err)
}

// migrate brings the schema to the newest version, each step in a
// transaction of its own; it also proves the file writable.
func (s *Store) migrate(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return s.damaged(err)
	}
	if version > len(migrations) {
		return fmt.Errorf("state: %s has schema version %d, newer than this syndicate knows (%d); run the syndicate that wrote it, or restore a backup", s.path, version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("state: %s: migrate to version %d: %w", s.path, v+1, err)
		}
	}
	if version == len(migrations) {
		// Nothing to migrate: prove the file writable now, not after
		// the output is published.
		err := s.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
			return err
		})
		if err != nil {
			return fmt.Errorf("state: %s cannot be written: %w", s.path, err)
		}
	}
	return nil
}

// tx runs fn in one immediate (write-locking) transaction.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		if isBusy(err) {
			return s.busy(err)
		}
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if isBusy(err) {
			return s.busy(err)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		if isBusy(err) {
			return s.busy(err)
		}
		return err
	}
	return nil
}

func unixTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// load reads the site's rows into memory.
func (s *Store) load(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE site = ?`, s.site).Scan(&n); err != nil {
		return s.damaged(err)
	}
	s.items, s.feeds, s.docs = make(map[string]Item, n), map[feedKey]Feed{}, map[string]Document{}
	s.byPath, s.byPostID, s.byTitleDate, s.byBody = make(map[string]string, n), map[string][]string{}, make(map[titleDate][]string, n), make(map[string][]string, n)
	rows, err := s.db.QueryContext(ctx, `SELECT id, path, post_id, title, published, body_hash, first_published, last_published
		FROM items WHERE site = ?`, s.site)
	if err != nil {
		return s.damaged(err)
	}
	for rows.Next() {
		var it Item
		var pub, first, last int64
		if err := rows.Scan(&it.ID, &it.Path, &it.PostID, &it.Title, &pub, &it.BodyHash, &first, &last); err != nil {
			rows.Close()
			return s.damaged(err)
		}
		it.Published, it.FirstPublished, it.LastPublished = unixTime(pub), unixTime(first), unixTime(last)
		s.items[it.ID] = it
		s.index(it)
	}
	if err := closeRows(rows); err != nil {
		return s.damaged(err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT kind, slug, name, first_published, last_with_posts FROM feeds WHERE site = ?`, s.site)
	if err != nil {
		return s.damaged(err)
	}
	for rows.Next() {
		var f Feed
		var kind string
		var first, last int64
		if err := rows.Scan(&kind, &f.Slug, &f.Name, &first, &last); err != nil {
			rows.Close()
			return s.damaged(err)
		}
		f.Kind, f.FirstPublished, f.LastWithPosts = feedgen.Kind(kind), unixTime(first), unixTime(last)
		s.feeds[feedKey{f.Kind, f.Slug}] = f
	}
	if err := closeRows(rows); err != nil {
		return s.damaged(err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT path, fingerprint, etag, changed FROM documents WHERE site = ?`, s.site)
	if err != nil {
		return s.damaged(err)
	}
	for rows.Next() {
		var d Document
		var changed int64
		if err := rows.Scan(&d.Path, &d.Fingerprint, &d.ETag, &changed); err != nil {
			rows.Close()
			return s.damaged(err)
		}
		d.Changed = unixTime(changed)
		s.docs[d.Path] = d
	}
	return closeRows(rows)
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close releases the database and the folder's lock.
func (s *Store) Close() error {
	var err error
	if s.db != nil {
		err = s.db.Close()
		s.db = nil
	}
	if s.lock != nil {
		s.lock.Close() // closing the file releases its lock
		s.lock = nil
	}
	return err
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Items lists every item the site ever published, by id.
func (s *Store) Items() map[string]Item { return s.items }

// Feeds lists every tag and category feed the site ever published.
func (s *Store) Feeds() []Feed {
	out := make([]Feed, 0, len(s.feeds))
	for _, f := range s.feeds {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Slug < out[j].Slug
	})
	return out
}

// Documents lists every document the site ever published, by path.
func (s *Store) Documents() map[string]Document { return s.docs }

// HasBody says whether the state holds the body hash of the item id as
// published from path: then a build need not read the body again.
func (s *Store) HasBody(id, path string) bool {
	it, ok := s.items[id]
	return ok && it.Path == path && it.BodyHash != ""
}

// Earlier is what a plan made at now needs of the state: its items
// (the Store itself, looked up as the plan needs them), the feeds that
// listed a post within keepEmpty of now, and the documents' ETags and
// times. The store must not record a build while the plan is made.
func (s *Store) Earlier(now time.Time, keepEmpty time.Duration) *feedgen.Earlier {
	e := &feedgen.Earlier{Items: s, Now: now, Documents: make(map[string]feedgen.PublishedDocument, len(s.docs))}
	for _, f := range s.Feeds() {
		if now.Sub(f.LastWithPosts) <= keepEmpty {
			e.Feeds = append(e.Feeds, feedgen.PublishedFeed{Kind: f.Kind, Name: f.Name, Slug: f.Slug, LastPost: f.LastWithPosts})
		}
	}
	for p, d := range s.docs {
		e.Documents[p] = feedgen.PublishedDocument{ETag: d.ETag, Changed: d.Changed}
	}
	return e
}

// ByPath is the item last published for the file at path.
func (s *Store) ByPath(path string) (feedgen.PublishedItem, bool) {
	id, ok := s.byPath[path]
	if !ok {
		return feedgen.PublishedItem{}, false
	}
	return s.items[id].PublishedItem, true
}

// WithPostID lists the items of a WordPress post id, by id.
func (s *Store) WithPostID(postID string) []feedgen.PublishedItem {
	return s.list(s.byPostID[postID])
}

// WithTitleDate lists the items with this title and publication date,
// by id.
func (s *Store) WithTitleDate(title string, published time.Time) []feedgen.PublishedItem {
	return s.list(s.byTitleDate[titleDate{title, published.UnixNano()}])
}

// WithBody lists the items with this body hash, by id.
func (s *Store) WithBody(hash string) []feedgen.PublishedItem {
	if hash == "" {
		return nil
	}
	return s.list(s.byBody[hash])
}

func (s *Store) list(ids []string) []feedgen.PublishedItem {
	out := make([]feedgen.PublishedItem, len(ids))
	for i, id := range ids {
		out[i] = s.items[id].PublishedItem
	}
	return out
}

// index adds an item to the indexes. For its path it wins over an item
// published there less recently.
func (s *Store) index(it Item) {
	if old, ok := s.byPath[it.Path]; !ok || s.newer(it, s.items[old]) {
		s.byPath[it.Path] = it.ID
	}
	s.keyed(it, insertID)
}

// unindex takes an item out of the indexes before it changes to next; a
// path it leaves falls to the path's next most recent item.
func (s *Store) unindex(it, next Item) {
	if it.Path != next.Path && s.byPath[it.Path] == it.ID {
		delete(s.byPath, it.Path)
		var best Item
		found := false
		for _, other := range s.items { // rare: a file's id moved elsewhere
			if other.Path == it.Path && other.ID != it.ID && (!found || s.newer(other, best)) {
				best, found = other, true
			}
		}
		if found {
			s.byPath[it.Path] = best.ID
		}
	}
	s.keyed(it, removeID)
}

// keyed applies edit (insertID or removeID) to the item's id under each
// of its keys in the indexes that may hold several items a key (post id,
// title and date, body), so that index and unindex name them in one place.
func (s *Store) keyed(it Item, edit func(ids []string, id string) []string) {
	if it.PostID != "" {
		s.byPostID[it.PostID] = edit(s.byPostID[it.PostID], it.ID)
	}
	k := titleDate{it.Title, it.Published.UnixNano()}
	s.byTitleDate[k] = edit(s.byTitleDate[k], it.ID)
	if it.BodyHash != "" {
		s.byBody[it.BodyHash] = edit(s.byBody[it.BodyHash], it.ID)
	}
}

// newer says whether a was published for its path more recently than b
// (ties go to the smaller id, so the choice never depends on order).
func (s *Store) newer(a, b Item) bool {
	if !a.LastPublished.Equal(b.LastPublished) {
		return a.LastPublished.After(b.LastPublished)
	}
	return a.ID < b.ID
}

func insertID(ids []string, id string) []string {
	i := sort.SearchStrings(ids, id)
	if i < len(ids) && ids[i] == id {
		return ids
	}
	return slices.Insert(ids, i, id)
}

func removeID(ids []string, id string) []string {
	i := sort.SearchStrings(ids, id)
	if i < len(ids) && ids[i] == id {
		return slices.Delete(ids, i, i+1)
	}
	return ids
}

// Gone lists the folders (e.g. "tags/go/") of feeds that listed a post
// once but none for longer than keepEmpty before now: a server answers
// 410 Gone for their documents, never 404.
func (s *Store) Gone(now time.Time, keepEmpty time.Duration) []string {
	var out []string
	for _, f := range s.Feeds() {
		if now.Sub(f.LastWithPosts) > keepEmpty {
			out = append(out, string(f.Kind)+"/"+f.Slug+"/")
		}
	}
	return out
}

// Build is what one build published, to record.
type Build struct {
	// Time is when it was published.
	Time time.Time
	// Items are the items of its documents; an empty BodyHash keeps the
	// one recorded for the same id and path.
	Items []feedgen.PublishedItem
	// Feeds are its tag and category feeds that list posts.
	Feeds []feedgen.PublishedFeed
	// Documents are every document it published.
	Documents []Document
}

// Record writes a published build in one transaction: the items, feeds
// and documents that are new or changed; nothing ever published is
// forgotten. Call it after the output is published, so that the state
// never holds ids no reader could have seen. On failure nothing is
// written and the state in memory is as before. A Store has one writer:
// a build whose context is already cancelled (serve abandons a stalled
// rebuild and starts another on the same Store) returns the context's
// error before touching anything, so it can never write over, or race
// with, the build that replaced it.
func (s *Store) Record(ctx context.Context, b Build) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	at := b.Time.UnixNano()
	// Only what changed is written: a rebuild after one edit writes a
	// row or two, not every item.
	items := make(map[string]Item)
	for _, pi := range b.Items {
		old, ok := s.items[pi.ID]
		it := Item{PublishedItem: pi, FirstPublished: b.Time, LastPublished: b.Time}
		if ok {
			it.FirstPublished = old.FirstPublished
			if it.BodyHash == "" && old.Path == it.Path {
				it.BodyHash = old.BodyHash
			}
			if sameItem(old.PublishedItem, it.PublishedItem) {
				continue
			}
		}
		items[pi.ID] = it
	}
	feeds := map[feedKey]Feed{}
	for _, pf := range b.Feeds {
		k := feedKey{pf.Kind, pf.Slug}
		f := Feed{Kind: pf.Kind, Slug: pf.Slug, Name: pf.Name, FirstPublished: b.Time, LastWithPosts: b.Time}
		if old, ok := s.feeds[k]; ok {
			f.FirstPublished = old.FirstPublished
			if old.Name == f.Name && b.Time.Sub(old.LastWithPosts) < feedTimeGrain {
				continue
			}
		}
		feeds[k] = f
	}
	var docs []Document
	for _, d := range b.Documents {
		if old, ok := s.docs[d.Path]; !ok || old.ETag != d.ETag || old.Fingerprint != d.Fingerprint || !old.Changed.Equal(d.Changed) {
			docs = append(docs, d)
		}
	}
	if len(items) == 0 && len(feeds) == 0 && len(docs) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO items (site, id, path, post_id, title, published, body_hash, first_published, last_published)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (site, id) DO UPDATE SET path = excluded.path, post_id = excluded.post_id, title = excluded.title,
				published = excluded.published, body_hash = excluded.body_hash, last_published = excluded.last_published`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, it := range items {
			if _, err := stmt.ExecContext(ctx, s.site, it.ID, it.Path, it.PostID, it.Title, it.Published.UnixNano(), it.BodyHash,
				it.FirstPublished.UnixNano(), at); err != nil {
				return err
			}
		}
		fstmt, err := tx.PrepareContext(ctx, `INSERT INTO feeds (site, kind, slug, name, first_published, last_with_posts)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (site, kind, slug) DO UPDATE SET name = excluded.name, last_with_posts = excluded.last_with_posts`)
		if err != nil {
			return err
		}
		defer fstmt.Close()
		for _, f := range feeds {
			if _, err := fstmt.ExecContext(ctx, s.site, string(f.Kind), f.Slug, f.Name, f.FirstPublished.UnixNano(), at); err != nil {
				return err
			}
		}
		dstmt, err := tx.PrepareContext(ctx, `INSERT INTO documents (site, path, fingerprint, etag, changed, last_published)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (site, path) DO UPDATE SET fingerprint = excluded.fingerprint, etag = excluded.etag,
				changed = excluded.changed, last_published = excluded.last_published`)
		if err != nil {
			return err
		}
		defer dstmt.Close()
		for _, d := range docs {
			if _, err := dstmt.ExecContext(ctx, s.site, d.Path, d.Fingerprint, d.ETag, d.Changed.UnixNano(), at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: record build in %s: %w", s.path, err)
	}
	for id, it := range items {
		if old, ok := s.items[id]; ok {
			s.unindex(old, it)
		}
		s.items[id] = it
		s.index(it)
	}
	for k, f := range feeds {
		s.feeds[k] = f
	}
	for _, d := range docs {
		s.docs[d.Path] = d
	}
	return nil
}

// feedTimeGrain is how stale a feed's LastWithPosts may get before a
// build that lists its posts records it again: keep_empty is counted in
// days, and a rebuild every few minutes need not write every feed.
const feedTimeGrain = time.Hour

// sameItem says whether two records of an item differ in nothing a plan
// reads.
func sameItem(a, b feedgen.PublishedItem) bool {
	return a.ID == b.ID && a.Path == b.Path && a.PostID == b.PostID && a.Title == b.Title &&
		a.Published.Equal(b.Published) && a.BodyHash == b.BodyHash
}
