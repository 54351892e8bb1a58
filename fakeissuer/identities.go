package fakeissuer

import (
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// acsIDPrefix starts every ACS communication user id.
const acsIDPrefix = "8:acs:"

// Limits on identities, so that no stream of requests can grow the issuer's
// memory without bound.
const (
	// DefaultMaxIdentities is how many identities (plain names and ACS ids,
	// deleted ones included) an issuer holds when Options.MaxIdentities is
	// zero: twice the largest scenario. One identity with the longest name
	// costs about 420 bytes of heap, so the default bounds them to about
	// 80 MB.
	DefaultMaxIdentities = 200_000
	// MaxMaxIdentities is the largest Options.MaxIdentities accepted.
	MaxMaxIdentities = 10_000_000
	// MaxIdentityLen is the longest identity (username) accepted, in bytes.
	MaxIdentityLen = 256
)

// ErrTooManyIdentities is wrapped by the 429 *StatusError of a request that
// would create an identity beyond Options.MaxIdentities.
var ErrTooManyIdentities = errors.New("too many identities")

// Counters count what the issuer did, in total or for one identity.
type Counters struct {
	// Issued is the number of tokens minted.
	Issued int64 `json:"issued"`
	// Failed is the number of token requests that failed (faults, bad requests).
	Failed int64 `json:"failed"`
	// Accepted is the number of resource checks (Verify) that accepted a token.
	Accepted int64 `json:"accepted"`
	// Refused is the number of resource checks that refused a token.
	Refused int64 `json:"refused"`
	// Revoked is the number of revocations.
	Revoked int64 `json:"revoked"`
}

// counter names one of Counters.
type counter int

const (
	counterIssued counter = iota
	counterFailed
	counterAccepted
	counterRefused
	counterRevoked
	numCounters
)

// atomicCounters are Counters that callers bump without a lock.
type atomicCounters [numCounters]atomic.Int64

func (c *atomicCounters) snapshot() Counters {
	return Counters{Issued: c[counterIssued].Load(), Failed: c[counterFailed].Load(),
		Accepted: c[counterAccepted].Load(), Refused: c[counterRefused].Load(), Revoked: c[counterRevoked].Load()}
}

// identityState is one identity. id, created and counters need no lock;
// mu orders revocation and deletion against minting (see Issuer.mint).
type identityState struct {
	id       string
	created  time.Time
	counters atomicCounters

	mu         sync.Mutex
	revokedSeq uint64 // tokens with a sequence number <= this are revoked
	revokedAt  time.Time
	deleted    bool
}

// goneLocked returns the 404 of a deleted identity, or nil.
func (st *identityState) goneLocked() error {
	if !st.deleted {
		return nil
	}
	return &StatusError{Status: http.StatusNotFound, Code: "IdentityNotFound",
		Message: fmt.Sprintf("identity %s was deleted", st.id), Err: ErrUnknownIdentity}
}

// identityShards is the number of independently locked parts of the
// identity table: callers for different identities rarely share one.
const identityShards = 64

// identityTable holds the identities, sharded by a hash of the id, and
// keeps their number within max.
type identityTable struct {
	seed   maphash.Seed
	max    int64
	count  atomic.Int64
	shards [identityShards]identityShard
}

type identityShard struct {
	mu sync.RWMutex
	m  map[string]*identityState
}

func newIdentityTable(max int) *identityTable {
	t := &identityTable{seed: maphash.MakeSeed(), max: int64(max)}
	for n := range t.shards {
		t.shards[n].m = map[string]*identityState{}
	}
	return t
}

func (t *identityTable) shard(id string) *identityShard {
	return &t.shards[maphash.String(t.seed, id)%identityShards]
}

// get returns the identity id, or nil.
func (t *identityTable) get(id string) *identityState {
	sh := t.shard(id)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.m[id]
}

// add returns the identity id, creating it at now if absent; it refuses to
// create one beyond the cap.
func (t *identityTable) add(id string, now time.Time) (*identityState, error) {
	if st := t.get(id); st != nil {
		return st, nil
	}
	sh := t.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if st, ok := sh.m[id]; ok {
		return st, nil
	}
	if t.count.Add(1) > t.max {
		t.count.Add(-1)
		return nil, &StatusError{Status: http.StatusTooManyRequests, Code: "TooManyIdentities",
			Message: fmt.Sprintf("the fake issuer holds %d identities, its maximum (Options.MaxIdentities); reuse an identity or raise the maximum", t.max),
			Err:     ErrTooManyIdentities}
	}
	st := &identityState{id: id, created: now}
	sh.m[id] = st
	return st, nil
}

// remove forgets the identity id.
func (t *identityTable) remove(id string) {
	sh := t.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[id]; ok {
		delete(sh.m, id)
		t.count.Add(-1)
	}
}

// all returns every identity, locking one shard at a time.
func (t *identityTable) all() []*identityState {
	out := make([]*identityState, 0, t.count.Load())
	for n := range t.shards {
		sh := &t.shards[n]
		sh.mu.RLock()
		for _, st := range sh.m {
			out = append(out, st)
		}
		sh.mu.RUnlock()
	}
	return out
}

// checkIdentity refuses an identity that is empty, longer than
// MaxIdentityLen, not UTF-8, or holds a control or bidirectional formatting
// character (which would reach a terminal or log as it is). what names the
// field in the error.
func checkIdentity(what, id string) error {
	if problem := identityProblem(id); problem != "" {
		return badRequest("InvalidIdentity", "the "+what+" "+problem)
	}
	return nil
}

// identityProblem says what is wrong with an identity, or "".
func identityProblem(id string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "is empty"
	case len(id) > MaxIdentityLen:
		return fmt.Sprintf("is %d bytes long; the most is %d", len(id), MaxIdentityLen)
	}
	if err := checkPrintable(id); err != nil {
		return err.Error()
	}
	return ""
}

// checkPrintable reports invalid UTF-8, a control character (NUL, ESC, a
// newline, DEL, C1) or a bidirectional formatting character in s.
func checkPrintable(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for n, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			return fmt.Errorf("holds the control character %U at byte %d; use printable characters", r, n)
		}
	}
	return nil
}

// isBidiControl reports the Unicode bidirectional embedding, override,
// isolate and mark characters, which reorder how the rest of a line shows.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// CreateIdentity makes a new ACS-style identity, 8:acs:<resource>_<uuid>. It
// fails with a 429 *StatusError wrapping ErrTooManyIdentities when the
// issuer holds Options.MaxIdentities already.
func (i *Issuer) CreateIdentity() (string, error) {
	id := acsIDPrefix + i.resourceID + "_" + newUUID()
	if _, err := i.identities.add(id, i.clock.Now()); err != nil {
		return "", err
	}
	return id, nil
}

// HasIdentity reports whether id exists and is not deleted.
func (i *Issuer) HasIdentity(id string) bool {
	st := i.identities.get(id)
	if st == nil {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return !st.deleted
}

// DeleteIdentity revokes every token of id and deletes it: no further tokens
// are issued for it and Verify refuses every token of it, even one whose
// minting raced the deletion. It reports an error wrapping
// ErrUnknownIdentity if id does not exist or was already deleted.
func (i *Issuer) DeleteIdentity(id string) error {
	st := i.identities.get(id)
	if st == nil {
		return unknownIdentity(id)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.goneLocked(); err != nil {
		return err
	}
	st.revokedSeq = i.seq.Load()
	st.revokedAt = i.clock.Now()
	st.deleted = true
	return nil
}

func unknownIdentity(id string) error {
	msg := fmt.Sprintf("identity %s does not exist", quoteID(id))
	if strings.HasPrefix(id, acsIDPrefix) {
		msg += "; create it first"
	}
	return &StatusError{Status: http.StatusNotFound, Code: "IdentityNotFound", Message: msg, Err: ErrUnknownIdentity}
}

// quoteID quotes an identity for an error message, cut to MaxIdentityLen
// bytes: the id may come from a request and be anything.
func quoteID(id string) string {
	if len(id) <= MaxIdentityLen {
		return fmt.Sprintf("%q", id)
	}
	return fmt.Sprintf("%q... (%d bytes)", id[:MaxIdentityLen], len(id))
}

// liveIdentity finds an identity that is not deleted; a plain name is
// checked and registered on first use, an ACS id must exist.
func (i *Issuer) liveIdentity(id string) (*identityState, error) {
	st := i.identities.get(id)
	if st == nil {
		if err := checkIdentity("identity", id); err != nil {
			return nil, err
		}
		if strings.HasPrefix(id, acsIDPrefix) {
			return nil, unknownIdentity(id)
		}
		var err error
		if st, err = i.identities.add(id, i.clock.Now()); err != nil {
			return nil, err
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.goneLocked(); err != nil {
		return nil, err
	}
	return st, nil
}

// bump counts one event in the totals and, when st is not nil, for st.
func (i *Issuer) bump(st *identityState, c counter) {
	i.totals[c].Add(1)
	if st != nil {
		st.counters[c].Add(1)
	}
}

// count counts one event for id, which need not exist.
func (i *Issuer) count(id string, c counter) {
	var st *identityState
	if id != "" {
		st = i.identities.get(id)
	}
	i.bump(st, c)
}

func (i *Issuer) countFailure(id string)  { i.count(id, counterFailed) }
func (i *Issuer) countAccepted(id string) { i.count(id, counterAccepted) }
func (i *Issuer) countRefused(id string)  { i.count(id, counterRefused) }

// Limits of a page of Stats.
const (
	// DefaultStatsLimit is how many identities Stats (and /admin/stats
	// without a limit) returns.
	DefaultStatsLimit = 100
	// MaxStatsLimit is the largest page StatsPage returns.
	MaxStatsLimit = 1000
)

// IdentityStats describes one identity and its counters.
type IdentityStats struct {
	// ID is the identity: an ACS id (8:acs:...) or a plain name.
	ID string `json:"id"`
	// Created is when the identity was created or first used.
	Created time.Time `json:"created"`
	// RevokedAt is the last revocation, zero if never revoked.
	RevokedAt time.Time `json:"revokedAt,omitzero"`
	// Deleted reports whether DeleteIdentity removed it.
	Deleted bool `json:"deleted,omitempty"`
	Counters
}

// Stats are the issuer's counters in total, and one page of identities
// (sorted by id) with theirs.
type Stats struct {
	Counters
	// IdentityCount is the number of identities held, deleted ones included.
	IdentityCount int `json:"identityCount"`
	// MaxIdentities is the most identities the issuer holds.
	MaxIdentities int `json:"maxIdentities"`
	// Offset is the position of the first of Identities among all
	// identities sorted by id.
	Offset int `json:"offset"`
	// Identities is the page of identities asked for.
	Identities []IdentityStats `json:"identities"`
}

// Stats returns the totals and the first DefaultStatsLimit identities.
func (i *Issuer) Stats() Stats {
	s, _ := i.StatsPage(0, DefaultStatsLimit) // valid arguments: no error
	return s
}

// StatsPage returns the totals and up to limit identities from the offset-th
// in id order. limit must be 1..MaxStatsLimit and offset not negative; an
// offset past the end gives no identities. No lock is held for longer than
// it takes to copy one shard of the identity table.
func (i *Issuer) StatsPage(offset, limit int) (Stats, error) {
	if limit < 1 || limit > MaxStatsLimit {
		return Stats{}, fmt.Errorf("limit %d is out of range 1..%d", limit, MaxStatsLimit)
	}
	if offset < 0 {
		return Stats{}, fmt.Errorf("offset %d is negative", offset)
	}
	all := i.identities.all()
	slices.SortFunc(all, func(a, b *identityState) int { return strings.Compare(a.id, b.id) })
	lo := min(offset, len(all))
	page := all[lo : lo+min(limit, len(all)-lo)]
	s := Stats{Counters: i.totals.snapshot(), IdentityCount: len(all), MaxIdentities: int(i.identities.max),
		Offset: offset, Identities: make([]IdentityStats, 0, len(page))}
	for _, st := range page {
		st.mu.Lock()
		revokedAt, deleted := st.revokedAt, st.deleted
		st.mu.Unlock()
		s.Identities = append(s.Identities, IdentityStats{ID: st.id, Created: st.created,
			RevokedAt: revokedAt, Deleted: deleted, Counters: st.counters.snapshot()})
	}
	return s, nil
}
