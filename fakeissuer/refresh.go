package fakeissuer

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tokentop/credential"
)

// RefreshRequest is a refresh token grant (RFC 6749 §6).
type RefreshRequest struct {
	// ClientID is the client asking; it must be the one the token was
	// issued to.
	ClientID string
	// RefreshToken is the refresh token to use.
	RefreshToken string
	// Scopes narrow the grant; empty means the scopes of the sign-in.
	Scopes []string
}

// UserGrant is what a user-session grant (device code or refresh token)
// answers: an access token and the refresh token to use next.
type UserGrant struct {
	// AccessToken is the new access token.
	AccessToken credential.AccessToken
	// RefreshToken is the refresh token to use next: a new one after a
	// rotation, the same one in mode RefreshReusable. It is a secret.
	RefreshToken string
	// Scopes are the scopes granted.
	Scopes []string
	// Family numbers the sign-in the refresh token belongs to (not secret).
	Family uint64
	// Rotation is how many times the family's refresh token has rotated.
	Rotation int
}

// family is one sign-in's chain of refresh tokens.
type family struct {
	id           uint64
	user, client string
	scopes       []string
	created      time.Time
	lastUsed     time.Time
	rotation     int       // number of the current token, from 0
	current      tokenHash // the token to use next
	retired      []retiredToken
	revokedAt    time.Time
	revokeReason string
}

// retiredToken is a rotated-out refresh token, remembered for reuse
// detection and the grace period.
type retiredToken struct {
	hash      tokenHash
	rotation  int
	rotatedAt time.Time
	successor []byte // sealed under this token; nil without a grace period
}

// tokenRef is where a remembered refresh token belongs.
type tokenRef struct {
	fam      *family
	rotation int
}

// userCounters count the user-session grants for metrics.
type userCounters struct {
	signIns, rotations, graceReuses, replays, familiesRevoked, expired atomic.Uint64
}

// userStore holds the refresh-token families and device grants under one
// lock: grants of one family must be decided one at a time anyway, and
// the access token is minted (tens of microseconds) before a rotation is
// committed, so that a failed mint changes nothing.
type userStore struct {
	mu          sync.Mutex
	policy      RefreshPolicy
	device      DevicePolicy
	byHash      map[tokenHash]tokenRef
	families    map[uint64]*family
	nextFamily  uint64
	maxFamilies int
	sweepAfter  time.Time // no family can be evicted before this
	devices     deviceTable
	counts      userCounters
	onEvent     func(RefreshEvent)
}

func newUserStore(opts Options) (*userStore, error) {
	pol, err := opts.Refresh.normalize()
	if err != nil {
		return nil, err
	}
	dev, err := opts.Device.normalize()
	if err != nil {
		return nil, err
	}
	return &userStore{
		policy:      pol,
		device:      dev,
		byHash:      make(map[tokenHash]tokenRef),
		families:    make(map[uint64]*family),
		maxFamilies: cmpOr(opts.MaxFamilies, DefaultMaxFamilies),
		devices:     newDeviceTable(),
		onEvent:     opts.OnRefreshEvent,
	}, nil
}

// RefreshPolicy returns the refresh-token policy in force.
func (i *Issuer) RefreshPolicy() RefreshPolicy {
	s := i.users
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.policy
}

// SetRefreshPolicy changes the refresh-token policy; families already
// signed in follow it from their next grant. It returns an error naming
// the field out of range, and then changes nothing.
func (i *Issuer) SetRefreshPolicy(p RefreshPolicy) error {
	p, err := p.normalize()
	if err != nil {
		return err
	}
	s := i.users
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy = p
	s.sweepAfter = time.Time{} // lifetimes changed: the next sweep looks again
	return nil
}

// expiry is when f ends under pol, warped like token lifetimes; false if
// it has no end.
func (i *Issuer) familyExpiry(f *family, pol RefreshPolicy) (time.Time, bool) {
	var end time.Time
	if pol.IdleLifetime > 0 {
		end = f.lastUsed.Add(i.WarpLifetime(pol.IdleLifetime))
	}
	if pol.AbsoluteLifetime > 0 {
		if abs := f.created.Add(i.WarpLifetime(pol.AbsoluteLifetime)); end.IsZero() || abs.Before(end) {
			end = abs
		}
	}
	return end, !end.IsZero()
}

// RefreshGrant runs a refresh token grant (RFC 6749 §6) under the refresh
// policy: it answers a new access token and the refresh token to use next.
// Faults for the family's user apply first; a lose-response fault makes it
// grant (and rotate) and then return an error wrapping ErrResponseLost.
// Refusals are *StatusError values wrapping ErrInvalidGrant (and so on)
// whose messages never hold the token.
func (i *Issuer) RefreshGrant(ctx context.Context, r RefreshRequest) (UserGrant, error) {
	if err := checkSecretParam("refresh token", r.RefreshToken); err != nil {
		i.countFailure("")
		return UserGrant{}, err
	}
	if err := checkScopes(r.Scopes); err != nil {
		i.countFailure("")
		return UserGrant{}, err
	}
	s := i.users
	h := hashSecret(r.RefreshToken)
	s.mu.Lock()
	ref, ok := s.byHash[h]
	s.mu.Unlock()
	if !ok {
		i.countFailure("")
		return UserGrant{}, grantError(ErrInvalidGrant, "the refresh token is unknown: it expired, was revoked, or was never issued here; sign in again")
	}
	user := ref.fam.user // fixed at sign-in
	if ref.fam.client != r.ClientID {
		i.countFailure(user)
		return UserGrant{}, grantError(ErrInvalidGrant, fmt.Sprintf("the refresh token was issued to another client, not %.100q", r.ClientID))
	}
	eff, err := i.applyFaults(ctx, faultCall{identity: user, userGrant: true}, nil)
	if err == nil && eff.invalidGrant {
		err = grantError(ErrInvalidGrant, "injected fault: the refresh token is refused (it is left as it was)")
	}
	if err != nil {
		i.countFailure(user)
		return UserGrant{}, err
	}
	var events []RefreshEvent
	s.mu.Lock()
	g, err := i.refreshLocked(i.clock.Now(), h, r, eff, &events)
	s.mu.Unlock()
	s.emit(events)
	if err != nil {
		i.countFailure(user)
		return UserGrant{}, err
	}
	if eff.loseResponse {
		return UserGrant{}, fmt.Errorf("fake issuer: the refresh was granted but its answer was lost (injected fault): %w", ErrResponseLost)
	}
	return g, nil
}

// refreshLocked decides and commits one refresh grant; s.mu is held.
func (i *Issuer) refreshLocked(now time.Time, h tokenHash, r RefreshRequest, eff faultEffects, events *[]RefreshEvent) (UserGrant, error) {
	s := i.users
	ref, ok := s.byHash[h]
	if !ok { // evicted while the faults played out
		return UserGrant{}, grantError(ErrInvalidGrant, "the refresh token is unknown: it expired or was revoked; sign in again")
	}
	f, pol := ref.fam, s.policy
	if !f.revokedAt.IsZero() {
		return UserGrant{}, grantError(ErrInvalidGrant, fmt.Sprintf("the refresh token's family #%d was revoked at %s (%s); sign in again",
			f.id, f.revokedAt.UTC().Format(time.RFC3339), f.revokeReason))
	}
	if end, ok := i.familyExpiry(f, pol); ok && !now.Before(end) {
		s.dropFamilyLocked(f)
		s.counts.expired.Add(1)
		*events = append(*events, f.event(now, EventFamilyExpired, ""))
		return UserGrant{}, grantError(ErrInvalidGrant, fmt.Sprintf("the refresh token's family #%d expired at %s (idle lifetime %v, absolute lifetime %v); sign in again",
			f.id, end.UTC().Format(time.RFC3339), pol.IdleLifetime, pol.AbsoluteLifetime))
	}
	scopes, err := narrowScopes(f.scopes, r.Scopes)
	if err != nil {
		return UserGrant{}, err
	}
	var next string
	switch {
	case ref.rotation == f.rotation && pol.Mode == RefreshReusable:
		next = r.RefreshToken
	case ref.rotation == f.rotation:
		next = newSecret("rt_")
	default:
		old := f.retiredToken(ref.rotation)
		if succ, ok := i.graceSuccessor(f, old, pol, now, r.RefreshToken); ok {
			next = succ
			break
		}
		return UserGrant{}, s.replayLocked(f, old, pol, now, events)
	}
	tok, _, err := i.mintWith(i.userMintSpec(f, scopes, pol), eff)
	if err != nil {
		return UserGrant{}, err
	}
	f.lastUsed = now
	switch {
	case ref.rotation != f.rotation:
		s.counts.graceReuses.Add(1)
		*events = append(*events, f.event(now, EventGraceReuse, ""))
	case next != r.RefreshToken:
		s.rotateLocked(f, h, r.RefreshToken, next, pol, now)
		*events = append(*events, f.event(now, EventRotated, ""))
	}
	return UserGrant{AccessToken: tok, RefreshToken: next, Scopes: scopes, Family: f.id, Rotation: f.rotation}, nil
}

// graceSuccessor returns the successor of old, the family's previous token,
// when the grace period still honours it.
func (i *Issuer) graceSuccessor(f *family, old *retiredToken, pol RefreshPolicy, now time.Time, presented string) (string, bool) {
	if old == nil || pol.Mode != RefreshRotating || pol.Grace == 0 || old.successor == nil ||
		old.rotation != f.rotation-1 || !now.Before(old.rotatedAt.Add(pol.Grace)) {
		return "", false
	}
	return openSuccessor(presented, old.successor)
}

// replayLocked answers the use of a rotated-out refresh token: with reuse
// detection it revokes the family.
func (s *userStore) replayLocked(f *family, old *retiredToken, pol RefreshPolicy, now time.Time, events *[]RefreshEvent) error {
	n, when := 0, "earlier"
	if old != nil {
		n, when = old.rotation+1, "at "+old.rotatedAt.UTC().Format(time.RFC3339)
	}
	if pol.Mode != RefreshRotating || !pol.ReuseDetection {
		return grantError(ErrInvalidGrant, fmt.Sprintf("refresh token #%d of family #%d was rotated out %s; use the newest refresh token", n, f.id, when))
	}
	reason := fmt.Sprintf("replay of refresh token #%d", n)
	s.counts.replays.Add(1)
	*events = append(*events, f.event(now, EventReplayed, reason))
	s.revokeLocked(f, now, reason, events)
	return grantError(ErrInvalidGrant, fmt.Sprintf("refresh token #%d of family #%d was rotated out %s and used again: the whole family is revoked (RFC 9700 §4.14.2); sign in again", n, f.id, when))
}

// rotateLocked retires the token used and makes next the family's current
// one.
func (s *userStore) rotateLocked(f *family, used tokenHash, usedToken, next string, pol RefreshPolicy, now time.Time) {
	rt := retiredToken{hash: used, rotation: f.rotation, rotatedAt: now}
	if pol.Grace > 0 {
		rt.successor = sealSuccessor(usedToken, next)
	}
	for n := range f.retired {
		f.retired[n].successor = nil // only the previous token is honoured
	}
	if len(f.retired) >= MaxRetiredTokens {
		delete(s.byHash, f.retired[0].hash)
		f.retired = slices.Delete(f.retired, 0, 1)
	}
	f.retired = append(f.retired, rt)
	f.rotation++
	f.current = hashSecret(next)
	s.byHash[f.current] = tokenRef{fam: f, rotation: f.rotation}
	s.counts.rotations.Add(1)
}

func (f *family) retiredToken(rotation int) *retiredToken {
	for n := range f.retired {
		if f.retired[n].rotation == rotation {
			return &f.retired[n]
		}
	}
	return nil
}

// revokeLocked revokes f; its tokens stay known (each use is refused
// naming the reason) until a sweep evicts it.
func (s *userStore) revokeLocked(f *family, now time.Time, reason string, events *[]RefreshEvent) {
	if !f.revokedAt.IsZero() {
		return
	}
	f.revokedAt, f.revokeReason = now, reason
	for n := range f.retired {
		f.retired[n].successor = nil
	}
	s.counts.familiesRevoked.Add(1)
	s.sweepAfter = time.Time{} // it can be evicted now
	*events = append(*events, f.event(now, EventFamilyRevoked, reason))
}

func (s *userStore) dropFamilyLocked(f *family) {
	delete(s.byHash, f.current)
	for _, rt := range f.retired {
		delete(s.byHash, rt.hash)
	}
	delete(s.families, f.id)
}

// signInLocked starts a family for user and returns its first refresh
// token, evicting expired and revoked families when the store is full.
func (i *Issuer) signInLocked(now time.Time, user, client string, scopes []string) (*family, string, error) {
	s := i.users
	if len(s.families) >= s.maxFamilies {
		i.sweepFamiliesLocked(now)
	}
	if len(s.families) >= s.maxFamilies {
		return nil, "", &StatusError{Status: http.StatusTooManyRequests, Code: "TooManyFamilies", RetryAfter: time.Second, Err: ErrBadRequest,
			Message: fmt.Sprintf("the issuer holds %d refresh-token families, the most it takes, and none has expired or been revoked; revoke some or raise the limit", s.maxFamilies)}
	}
	s.nextFamily++
	tok := newSecret("rt_")
	f := &family{id: s.nextFamily, user: user, client: client, scopes: slices.Clone(scopes), created: now, lastUsed: now, current: hashSecret(tok)}
	s.families[f.id] = f
	s.byHash[f.current] = tokenRef{fam: f}
	s.counts.signIns.Add(1)
	return f, tok, nil
}

// sweepFamiliesLocked evicts revoked and expired families. It remembers
// the earliest expiry left, before which another sweep cannot free room,
// so that a full store of live families costs one sweep, not one a call.
func (i *Issuer) sweepFamiliesLocked(now time.Time) {
	s := i.users
	if now.Before(s.sweepAfter) {
		return
	}
	next := now.Add(MaxRefreshLifetime)
	for _, f := range s.families {
		end, ok := i.familyExpiry(f, s.policy)
		switch {
		case !f.revokedAt.IsZero() || (ok && !now.Before(end)):
			s.dropFamilyLocked(f)
		case ok && end.Before(next):
			next = end
		}
	}
	s.sweepAfter = next
}

// userMintSpec is the access token of a user-session grant.
func (i *Issuer) userMintSpec(f *family, scopes []string, pol RefreshPolicy) mintSpec {
	return mintSpec{subject: f.user, scopes: scopes, lifetime: cmpOr(pol.AccessLifetime, i.upstreamLife),
		audience: i.audience, appID: f.client}
}

// narrowScopes returns the scopes asked for, which must be among those of
// the sign-in (RFC 6749 §6), or the sign-in's when none are asked for.
func narrowScopes(granted, asked []string) ([]string, error) {
	if len(asked) == 0 {
		return slices.Clone(granted), nil
	}
	for _, sc := range asked {
		if !slices.Contains(granted, sc) && !(len(granted) == 0 && slices.Contains(defaultScopes, sc)) {
			return nil, &StatusError{Status: http.StatusBadRequest, Code: "invalid_scope", Err: errInvalidScope,
				Message: fmt.Sprintf("scope %.60q was not granted at sign-in; a refresh can only narrow the scopes", sc)}
		}
	}
	return slices.Clone(asked), nil
}

// checkSecretParam refuses an empty or oversize refresh token or device
// code without quoting it.
func checkSecretParam(what, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return badRequest("invalid_request", fmt.Sprintf("the %s is missing", what))
	case len(v) > MaxRefreshTokenLen:
		return badRequest("invalid_request", fmt.Sprintf("the %s is %d bytes long; the most is %d", what, len(v), MaxRefreshTokenLen))
	}
	return nil
}

// RevokeRefreshToken revokes, as RFC 7009 asks, the family of a refresh
// token issued to clientID: its current and rotated-out tokens are refused
// from now on. An unknown token is no error (RFC 7009 §2.2); one issued to
// another client is.
func (i *Issuer) RevokeRefreshToken(ctx context.Context, clientID, token string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkSecretParam("token", token); err != nil {
		return err
	}
	s := i.users
	var events []RefreshEvent
	s.mu.Lock()
	ref, ok := s.byHash[hashSecret(token)]
	switch {
	case !ok:
	case ref.fam.client != clientID:
		s.mu.Unlock()
		return &StatusError{Status: http.StatusBadRequest, Code: "unauthorized_client", Err: ErrBadRequest,
			Message: fmt.Sprintf("the token was issued to another client, not %.100q", clientID)}
	default:
		s.revokeLocked(ref.fam, i.clock.Now(), fmt.Sprintf("refresh token #%d revoked (sign-out)", ref.rotation+1), &events)
	}
	s.mu.Unlock()
	s.emit(events)
	return nil
}

// RevokeFamily revokes a family by its number (UserGrant.Family,
// Families); it reports whether the family was there and not yet revoked.
func (i *Issuer) RevokeFamily(id uint64) bool {
	s := i.users
	var events []RefreshEvent
	s.mu.Lock()
	f, ok := s.families[id]
	ok = ok && f.revokedAt.IsZero()
	if ok {
		s.revokeLocked(f, i.clock.Now(), "revoked by the admin", &events)
	}
	s.mu.Unlock()
	s.emit(events)
	return ok
}

// FamilyInfo describes a refresh-token family without any token.
type FamilyInfo struct {
	ID           uint64    `json:"id"`
	User         string    `json:"user"`
	Client       string    `json:"client"`
	Scopes       []string  `json:"scopes"`
	Rotation     int       `json:"rotation"`
	Created      time.Time `json:"created"`
	LastUsed     time.Time `json:"last_used"`
	ExpiresOn    time.Time `json:"expires_on,omitzero"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
}

// Families returns up to limit families (at most MaxStatsLimit) from
// offset, in sign-in order, and how many there are.
func (i *Issuer) Families(offset, limit int) ([]FamilyInfo, int, error) {
	if offset < 0 || limit < 1 || limit > MaxStatsLimit {
		return nil, 0, fmt.Errorf("offset %d must be at least 0 and limit %d from 1 to %d", offset, limit, MaxStatsLimit)
	}
	s := i.users
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]uint64, 0, len(s.families))
	for id := range s.families {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	total := len(ids)
	ids = ids[min(offset, total):min(offset+limit, total)]
	out := make([]FamilyInfo, len(ids))
	for n, id := range ids {
		f := s.families[id]
		end, _ := i.familyExpiry(f, s.policy)
		out[n] = FamilyInfo{ID: f.id, User: f.user, Client: f.client, Scopes: slices.Clone(f.scopes), Rotation: f.rotation,
			Created: f.created, LastUsed: f.lastUsed, ExpiresOn: end, RevokedAt: f.revokedAt, RevokeReason: f.revokeReason}
	}
	return out, total, nil
}
