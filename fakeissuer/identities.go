package fakeissuer

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// acsIDPrefix starts every ACS communication user id.
const acsIDPrefix = "8:acs:"

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

func (c *Counters) add(o Counters) {
	c.Issued += o.Issued
	c.Failed += o.Failed
	c.Accepted += o.Accepted
	c.Refused += o.Refused
	c.Revoked += o.Revoked
}

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

// Stats are the issuer's counters, in total and per identity (sorted by id).
type Stats struct {
	Counters
	Identities []IdentityStats `json:"identities"`
}

type identityState struct {
	id         string
	created    time.Time
	revokedSeq uint64 // tokens with a sequence number <= this are revoked
	revokedAt  time.Time
	deleted    bool
	counters   Counters
}

// CreateIdentity makes a new ACS-style identity, 8:acs:<resource>_<uuid>.
func (i *Issuer) CreateIdentity() string {
	id := acsIDPrefix + i.resourceID + "_" + newUUID()
	i.mu.Lock()
	defer i.mu.Unlock()
	i.identities[id] = &identityState{id: id, created: i.clock.Now()}
	return id
}

// HasIdentity reports whether id exists and is not deleted.
func (i *Issuer) HasIdentity(id string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	st, ok := i.identities[id]
	return ok && !st.deleted
}

// DeleteIdentity revokes every token of id and deletes it: no further tokens
// are issued for it. It reports an error wrapping ErrUnknownIdentity if id
// does not exist or was already deleted.
func (i *Issuer) DeleteIdentity(id string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	st, err := i.identityLocked(id)
	if err != nil {
		return err
	}
	st.revokedSeq = i.seq.Load()
	st.revokedAt = i.clock.Now()
	st.deleted = true
	return nil
}

// identityLocked finds a live identity; a plain name is registered on first
// use, an ACS id must exist.
func (i *Issuer) identityLocked(id string) (*identityState, error) {
	if strings.TrimSpace(id) == "" {
		return nil, badRequest("InvalidIdentity", "the identity is empty")
	}
	st, ok := i.identities[id]
	if ok && st.deleted {
		return nil, &StatusError{Status: http.StatusNotFound, Code: "IdentityNotFound",
			Message: fmt.Sprintf("identity %s was deleted", id), Err: ErrUnknownIdentity}
	}
	if !ok {
		if strings.HasPrefix(id, acsIDPrefix) {
			return nil, &StatusError{Status: http.StatusNotFound, Code: "IdentityNotFound",
				Message: fmt.Sprintf("identity %s does not exist; create it first", id), Err: ErrUnknownIdentity}
		}
		st = &identityState{id: id, created: i.clock.Now()}
		i.identities[id] = st
	}
	return st, nil
}

// useIdentity checks that id may be issued tokens, registering a plain name.
func (i *Issuer) useIdentity(id string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	_, err := i.identityLocked(id)
	return err
}

// revokedLocked reports whether a token of id with sequence number seq has
// been revoked, and when.
func (i *Issuer) revokedLocked(id string, seq uint64) (bool, time.Time) {
	st, ok := i.identities[id]
	if !ok || seq > st.revokedSeq {
		return false, time.Time{}
	}
	return true, st.revokedAt
}

func (i *Issuer) count(id string, c Counters) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.totals.add(c)
	if st, ok := i.identities[id]; ok {
		st.counters.add(c)
	}
}

func (i *Issuer) countIssued(id string)   { i.count(id, Counters{Issued: 1}) }
func (i *Issuer) countFailure(id string)  { i.count(id, Counters{Failed: 1}) }
func (i *Issuer) countAccepted(id string) { i.count(id, Counters{Accepted: 1}) }
func (i *Issuer) countRefused(id string)  { i.count(id, Counters{Refused: 1}) }

// Stats returns a snapshot of the counters.
func (i *Issuer) Stats() Stats {
	i.mu.Lock()
	defer i.mu.Unlock()
	s := Stats{Counters: i.totals, Identities: make([]IdentityStats, 0, len(i.identities))}
	for _, st := range i.identities {
		s.Identities = append(s.Identities, IdentityStats{ID: st.id, Created: st.created,
			RevokedAt: st.revokedAt, Deleted: st.deleted, Counters: st.counters})
	}
	sort.Slice(s.Identities, func(a, b int) bool { return s.Identities[a].ID < s.Identities[b].ID })
	return s
}
