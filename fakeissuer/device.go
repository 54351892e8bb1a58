package fakeissuer

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Device authorization (RFC 8628) defaults and limits.
const (
	// DefaultDeviceInterval is how often a client may poll, when
	// DevicePolicy.Interval is zero (RFC 8628's default).
	DefaultDeviceInterval = 5 * time.Second
	// DefaultDeviceExpiry is how long a device code lives, when
	// DevicePolicy.Expiry is zero.
	DefaultDeviceExpiry = 10 * time.Minute
	// DefaultDeviceUser is the user an automatic approval signs in.
	DefaultDeviceUser = "user"
	// MaxDeviceInterval bounds the interval, slow_down's growth included.
	MaxDeviceInterval = 5 * time.Minute
	// MaxDeviceExpiry bounds a device code's lifetime and the approval delay.
	MaxDeviceExpiry = 24 * time.Hour
	// MaxDeviceGrants is the most device sign-ins pending at once; beyond
	// it expired ones are evicted, and a new one still finding no room
	// fails with 429.
	MaxDeviceGrants = 10_000
	// slowDownStep is how much slow_down adds to the interval (RFC 8628 §3.5).
	slowDownStep = 5 * time.Second
)

// DevicePolicy is how the issuer answers device sign-ins. Zero fields take
// the defaults.
type DevicePolicy struct {
	// Interval is the least time between two polls of a device code
	// (default DefaultDeviceInterval, 1s..MaxDeviceInterval). A poll more
	// than a tenth of it early is answered slow_down, and the interval of
	// that code grows by 5 s.
	Interval time.Duration
	// Expiry is how long a device code lives (default DefaultDeviceExpiry,
	// from Interval to MaxDeviceExpiry).
	Expiry time.Duration
	// ApproveAfter, when set, approves every device sign-in this long
	// after its authorization, for User; zero leaves approval to
	// ApproveDevice and the admin API.
	ApproveAfter time.Duration
	// User is the user an automatic approval signs in (default
	// DefaultDeviceUser).
	User string
}

func (p DevicePolicy) normalize() (DevicePolicy, error) {
	p.Interval = cmpOr(p.Interval, DefaultDeviceInterval)
	p.Expiry = cmpOr(p.Expiry, DefaultDeviceExpiry)
	p.User = cmpOr(p.User, DefaultDeviceUser)
	switch {
	case p.Interval < time.Second || p.Interval > MaxDeviceInterval:
		return p, fmt.Errorf("device policy: interval %v is out of range 1s..%v", p.Interval, MaxDeviceInterval)
	case p.Expiry < p.Interval || p.Expiry > MaxDeviceExpiry:
		return p, fmt.Errorf("device policy: expiry %v is out of range %v (the interval)..%v", p.Expiry, p.Interval, MaxDeviceExpiry)
	case p.ApproveAfter < 0 || p.ApproveAfter > MaxDeviceExpiry:
		return p, fmt.Errorf("device policy: approval delay %v is out of range 0..%v", p.ApproveAfter, MaxDeviceExpiry)
	}
	if err := checkIdentity("device policy: user", p.User); err != nil {
		return p, err
	}
	return p, nil
}

// DevicePolicy returns the device authorization policy in force.
func (i *Issuer) DevicePolicy() DevicePolicy {
	s := i.users
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.device
}

// SetDevicePolicy changes the device authorization policy; pending sign-ins
// keep their interval and expiry but follow the new automatic approval.
func (i *Issuer) SetDevicePolicy(p DevicePolicy) error {
	p, err := p.normalize()
	if err != nil {
		return err
	}
	s := i.users
	s.mu.Lock()
	defer s.mu.Unlock()
	s.device = p
	return nil
}

// DeviceRequest is a device authorization request (RFC 8628 §3.1).
type DeviceRequest struct {
	// ClientID is the client signing in.
	ClientID string
	// Scopes are the scopes asked for; empty means the default ones.
	Scopes []string
}

// DeviceAuthorization is a device authorization response (RFC 8628 §3.2).
// DeviceCode and UserCode are secrets: the user code is for the user's
// eyes only.
type DeviceAuthorization struct {
	DeviceCode string
	UserCode   string
	// VerificationURI is where the user goes: PathDevice in-process, an
	// absolute URL over HTTP.
	VerificationURI string
	// VerificationURIComplete is VerificationURI with the user code.
	VerificationURIComplete string
	// ExpiresIn is the device code's lifetime.
	ExpiresIn time.Duration
	// Interval is the least time between polls.
	Interval time.Duration
}

// DevicePoll is a device access token request (RFC 8628 §3.4).
type DevicePoll struct {
	ClientID   string
	DeviceCode string
}

type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDenied
)

// deviceGrant is one device sign-in; its codes are kept hashed.
type deviceGrant struct {
	deviceHash, userHash tokenHash
	client               string
	scopes               []string
	created, expires     time.Time
	interval             time.Duration
	lastPoll             time.Time
	state                deviceState
	user                 string
}

// deviceTable indexes the pending device sign-ins by both codes.
type deviceTable struct {
	byDevice map[tokenHash]*deviceGrant
	byUser   map[tokenHash]*deviceGrant
}

func newDeviceTable() deviceTable {
	return deviceTable{byDevice: make(map[tokenHash]*deviceGrant), byUser: make(map[tokenHash]*deviceGrant)}
}

func (t *deviceTable) remove(g *deviceGrant) {
	delete(t.byDevice, g.deviceHash)
	delete(t.byUser, g.userHash)
}

// userCodeChars are RFC 8628 §6.1's base-20 letters: no vowels, no
// look-alikes.
const userCodeChars = "BCDFGHJKLMNPQRSTVWXZ"

// newUserCode returns eight letters as XXXX-XXXX (about 34 bits).
func newUserCode() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	var sb strings.Builder
	for n, c := range b {
		if n == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(userCodeChars[int(c)%len(userCodeChars)]) // 256 % 20 skews slightly; a fake can bear it
	}
	return sb.String()
}

// normalUserCode is the form a user code is hashed in: upper case, no
// dashes or spaces, as a user may type it.
func normalUserCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// DeviceAuthorize starts a device sign-in (RFC 8628 §3.1): it answers a
// device code for the client to poll with and a user code for the user to
// approve. Faults for every identity apply (not user-session ones).
func (i *Issuer) DeviceAuthorize(ctx context.Context, r DeviceRequest) (DeviceAuthorization, error) {
	if err := checkIdentity("client id", r.ClientID); err != nil {
		i.countFailure("")
		return DeviceAuthorization{}, badRequest("invalid_request", err.Error())
	}
	if err := checkScopes(r.Scopes); err != nil {
		i.countFailure("")
		return DeviceAuthorization{}, err
	}
	if _, err := i.applyFaults(ctx, faultCall{}, nil); err != nil {
		i.countFailure("")
		return DeviceAuthorization{}, err
	}
	s := i.users
	now := i.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.devices
	if len(t.byDevice) >= MaxDeviceGrants {
		for _, g := range t.byDevice {
			if !now.Before(g.expires) {
				t.remove(g)
			}
		}
	}
	if len(t.byDevice) >= MaxDeviceGrants {
		return DeviceAuthorization{}, &StatusError{Status: http.StatusTooManyRequests, Code: "TooManyDeviceSignIns", RetryAfter: s.device.Interval, Err: ErrBadRequest,
			Message: fmt.Sprintf("%d device sign-ins are pending, the most the issuer takes; approve, deny or let some expire", MaxDeviceGrants)}
	}
	da := DeviceAuthorization{DeviceCode: newSecret("dc_"), ExpiresIn: s.device.Expiry, Interval: s.device.Interval}
	g := &deviceGrant{deviceHash: hashSecret(da.DeviceCode), client: r.ClientID, scopes: slices.Clone(r.Scopes),
		created: now, expires: now.Add(s.device.Expiry), interval: s.device.Interval}
	for {
		da.UserCode = newUserCode()
		g.userHash = hashSecret(normalUserCode(da.UserCode))
		if t.byUser[g.userHash] == nil {
			break
		}
	}
	t.byDevice[g.deviceHash] = g
	t.byUser[g.userHash] = g
	da.VerificationURI = PathDevice
	da.VerificationURIComplete = PathDevice + "?user_code=" + da.UserCode
	return da, nil
}

// PollDevice answers a device access token request: tokens and a new
// refresh-token family once the user has approved; otherwise a
// *StatusError wrapping ErrAuthorizationPending, ErrSlowDown,
// ErrDeviceCodeExpired, ErrAccessDenied or ErrInvalidGrant. Faults for the
// approved user apply, lose-response and invalid-grant included.
func (i *Issuer) PollDevice(ctx context.Context, r DevicePoll) (UserGrant, error) {
	if err := checkSecretParam("device code", r.DeviceCode); err != nil {
		i.countFailure("")
		return UserGrant{}, err
	}
	s := i.users
	h := hashSecret(r.DeviceCode)
	s.mu.Lock()
	var user string
	if g := s.devices.byDevice[h]; g != nil && g.state == deviceApproved {
		user = g.user
	}
	s.mu.Unlock()
	eff, err := i.applyFaults(ctx, faultCall{identity: user, userGrant: true}, nil)
	if err == nil && eff.invalidGrant {
		err = grantError(ErrInvalidGrant, "injected fault: the device code is refused (it is left as it was)")
	}
	if err != nil {
		i.countFailure(user)
		return UserGrant{}, err
	}
	var events []RefreshEvent
	s.mu.Lock()
	g, err := i.pollLocked(i.clock.Now(), h, r, eff, &events)
	s.mu.Unlock()
	s.emit(events)
	if err != nil {
		if !errors.Is(err, ErrAuthorizationPending) {
			i.countFailure(user)
		}
		return UserGrant{}, err
	}
	if eff.loseResponse {
		return UserGrant{}, fmt.Errorf("fake issuer: the device sign-in was granted but its answer was lost (injected fault): %w", ErrResponseLost)
	}
	return g, nil
}

func (i *Issuer) pollLocked(now time.Time, h tokenHash, r DevicePoll, eff faultEffects, events *[]RefreshEvent) (UserGrant, error) {
	s := i.users
	g := s.devices.byDevice[h]
	switch {
	case g == nil:
		return UserGrant{}, grantError(ErrInvalidGrant, "the device code is unknown: it was used already, expired long ago, or was never issued here")
	case g.client != r.ClientID:
		return UserGrant{}, grantError(ErrInvalidGrant, fmt.Sprintf("the device code was issued to another client, not %.100q", r.ClientID))
	case !now.Before(g.expires):
		s.devices.remove(g)
		return UserGrant{}, grantError(ErrDeviceCodeExpired, fmt.Sprintf("the device code expired at %s before the user approved; start the sign-in again", g.expires.UTC().Format(time.RFC3339)))
	}
	if !g.lastPoll.IsZero() && now.Sub(g.lastPoll) < g.interval-g.interval/10 {
		gap := now.Sub(g.lastPoll)
		g.interval = min(g.interval+slowDownStep, MaxDeviceInterval)
		g.lastPoll = now
		return UserGrant{}, grantError(ErrSlowDown, fmt.Sprintf("polled %v after the last poll; poll every %v from now on", gap, g.interval))
	}
	g.lastPoll = now
	if g.state == devicePending && s.device.ApproveAfter > 0 && !now.Before(g.created.Add(s.device.ApproveAfter)) {
		g.state, g.user = deviceApproved, s.device.User
	}
	switch g.state {
	case devicePending:
		return UserGrant{}, grantError(ErrAuthorizationPending, "the user has not answered the sign-in yet; keep polling at the interval")
	case deviceDenied:
		s.devices.remove(g)
		return UserGrant{}, grantError(ErrAccessDenied, "the user denied the sign-in")
	}
	scopes := g.scopes
	if len(scopes) == 0 {
		scopes = defaultScopes
	}
	f, rt, err := i.signInLocked(now, g.user, g.client, scopes)
	if err != nil {
		return UserGrant{}, err
	}
	tok, _, err := i.mintWith(i.userMintSpec(f, scopes, s.policy), eff)
	if err != nil {
		s.dropFamilyLocked(f)
		return UserGrant{}, err
	}
	s.devices.remove(g)
	*events = append(*events, f.event(now, EventSignedIn, ""))
	return UserGrant{AccessToken: tok, RefreshToken: rt, Scopes: slices.Clone(scopes), Family: f.id}, nil
}

// ApproveDevice approves the pending device sign-in with this user code
// for user (empty: DevicePolicy.User), as the user would at the
// verification URI. Errors never quote the user code.
func (i *Issuer) ApproveDevice(userCode, user string) error {
	if user == "" {
		user = i.DevicePolicy().User
	}
	if err := checkIdentity("user", user); err != nil {
		return err
	}
	return i.answerDevice(userCode, deviceApproved, user)
}

// DenyDevice denies the pending device sign-in with this user code: the
// client's next poll gets access_denied.
func (i *Issuer) DenyDevice(userCode string) error {
	return i.answerDevice(userCode, deviceDenied, "")
}

func (i *Issuer) answerDevice(userCode string, state deviceState, user string) error {
	if len(userCode) > MaxRefreshTokenLen {
		return fmt.Errorf("the user code is %d bytes long; user codes are 9 characters, XXXX-XXXX", len(userCode))
	}
	s := i.users
	now := i.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.devices.byUser[hashSecret(normalUserCode(userCode))]
	switch {
	case g == nil:
		return fmt.Errorf("no device sign-in is pending with that user code; check the code the client shows")
	case !now.Before(g.expires):
		s.devices.remove(g)
		return fmt.Errorf("the device sign-in with that user code expired at %s; start it again", g.expires.UTC().Format(time.RFC3339))
	case g.state != devicePending:
		return fmt.Errorf("the device sign-in with that user code was answered already")
	}
	g.state, g.user = state, user
	return nil
}
