package server

import "sync"

// plainCacheBudget bounds the decompressed bodies serve keeps of
// documents it holds compressed. Feed readers mostly ask for gzip; the
// documents asked for without it are few and hot (a reader or proxy that
// does not compress), and those stay decompressed here.
const plainCacheBudget = 64 << 20

// plainCache keeps the decompressed bodies of recently requested
// documents within a byte budget. A hit takes no lock (the body hangs off
// the servedDoc, loaded atomically); a miss decompresses and, under the
// lock, makes room by the second-chance (CLOCK) rule: a body requested
// since the cache last looked is passed over once.
type plainCache struct {
	budget int64

	mu   sync.Mutex
	used int64
	ring []*servedDoc
}

// get is the document's body.
func (c *plainCache) get(d *servedDoc) ([]byte, error) {
	if d.doc.Body != nil || d.doc.Gzip == nil {
		return d.doc.Body, nil // held as is
	}
	if b := d.plain.Load(); b != nil {
		d.ref.Store(true)
		return *b, nil
	}
	body, err := d.doc.Bytes()
	if err != nil {
		return nil, err
	}
	size := int64(len(body))
	if size > c.budget/4 {
		return body, nil // too large to keep: it would push out most others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.plain.Load() != nil {
		return body, nil // another request kept it meanwhile
	}
	// Requests keep marking bodies while this runs: after two rounds the
	// oldest goes whatever its mark.
	for spins := 0; c.used+size > c.budget && len(c.ring) > 0; spins++ {
		victim := c.ring[0]
		c.ring = c.ring[1:]
		if victim.ref.Swap(false) && spins < 2*len(c.ring)+2 {
			c.ring = append(c.ring, victim)
			continue
		}
		if b := victim.plain.Swap(nil); b != nil {
			c.used -= int64(len(*b))
		}
	}
	d.plain.Store(&body)
	c.ring = append(c.ring, d)
	c.used += size
	return body, nil
}
