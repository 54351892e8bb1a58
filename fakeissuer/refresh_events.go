package fakeissuer

import "time"

// RefreshEventKind names what happened to a refresh-token family.
type RefreshEventKind string

// Refresh event kinds.
const (
	// EventSignedIn: a device sign-in started a family.
	EventSignedIn RefreshEventKind = "signed-in"
	// EventRotated: the family's refresh token rotated.
	EventRotated RefreshEventKind = "refresh-token-rotated"
	// EventGraceReuse: the previous refresh token was honoured in the
	// grace period.
	EventGraceReuse RefreshEventKind = "refresh-token-reused-in-grace"
	// EventReplayed: a rotated-out refresh token was used again.
	EventReplayed RefreshEventKind = "refresh-token-replayed"
	// EventFamilyRevoked: the family was revoked (Reason says why).
	EventFamilyRevoked RefreshEventKind = "family-revoked"
	// EventFamilyExpired: a grant found the family past its idle or
	// absolute lifetime.
	EventFamilyExpired RefreshEventKind = "family-expired"
)

// RefreshEvent is something the issuer did to a refresh-token family, as
// Options.OnRefreshEvent hears it. It holds no token.
type RefreshEvent struct {
	// Time is the issuer's clock when it happened.
	Time time.Time
	// Kind says what happened.
	Kind RefreshEventKind
	// Family is the family's number (UserGrant.Family).
	Family uint64
	// User is the signed-in user.
	User string
	// Rotation is the family's rotation count then.
	Rotation int
	// Reason says why, for EventReplayed and EventFamilyRevoked, e.g.
	// "replay of refresh token #3".
	Reason string
}

func (f *family) event(now time.Time, kind RefreshEventKind, reason string) RefreshEvent {
	return RefreshEvent{Time: now, Kind: kind, Family: f.id, User: f.user, Rotation: f.rotation, Reason: reason}
}

// emit hands events to Options.OnRefreshEvent, outside the store's lock.
func (s *userStore) emit(events []RefreshEvent) {
	if s.onEvent == nil {
		return
	}
	for _, e := range events {
		s.onEvent(e)
	}
}
