package fakeissuer

import (
	"fmt"
	"time"
)

// RefreshMode says what a refresh grant does to the refresh token it uses.
type RefreshMode string

// Refresh modes.
const (
	// RefreshReusable keeps the refresh token: the same one is used again
	// and again until it expires or is revoked.
	RefreshReusable RefreshMode = "reusable"
	// RefreshRotating answers every refresh grant with a new refresh token
	// and retires the one used (OAuth 2.1, RFC 9700 §4.14.2).
	RefreshRotating RefreshMode = "rotating"
)

// Limits of user sessions' refresh tokens.
const (
	// MaxRefreshLifetime bounds the grace period and the idle and absolute
	// lifetimes of refresh tokens: about 11 years.
	MaxRefreshLifetime = 100_000 * time.Hour
	// DefaultMaxFamilies is Options.MaxFamilies when it is zero.
	DefaultMaxFamilies = 100_000
	// MaxMaxFamilies is the largest Options.MaxFamilies.
	MaxMaxFamilies = 10_000_000
	// MaxRetiredTokens is how many rotated-out refresh tokens a family
	// remembers, so that their replay is detected; an older one is unknown
	// (invalid_grant, and its family lives on).
	MaxRetiredTokens = 16
	// MaxRefreshTokenLen is the longest refresh token (or device code) a
	// request may send, in bytes.
	MaxRefreshTokenLen = 512
)

// RefreshPolicy is how the issuer treats the refresh tokens of user
// sessions. Durations are on the issuer's clock; zero means none.
type RefreshPolicy struct {
	// Mode is RefreshReusable or RefreshRotating. Empty means the default:
	// rotating with reuse detection, whatever ReuseDetection says.
	Mode RefreshMode
	// ReuseDetection (rotating only) revokes the whole family when a
	// rotated-out refresh token is used again outside the grace period.
	ReuseDetection bool
	// Grace (rotating only) is how long after a rotation the previous
	// refresh token is still honoured: it gets a new access token and the
	// same successor refresh token again (a client that lost the answer, or
	// two racing clients, end up with the same token).
	Grace time.Duration
	// IdleLifetime ends a family not used for this long (sliding expiry).
	IdleLifetime time.Duration
	// AbsoluteLifetime ends a family this long after its sign-in, however
	// often it is used.
	AbsoluteLifetime time.Duration
	// AccessLifetime is the lifetime of access tokens from user-session
	// grants; zero means Options.UpstreamLifetime.
	AccessLifetime time.Duration
}

// DefaultRefreshPolicy is the policy of Options.Refresh's zero value:
// rotating refresh tokens with reuse detection, no grace period and no
// expiry.
func DefaultRefreshPolicy() RefreshPolicy {
	return RefreshPolicy{Mode: RefreshRotating, ReuseDetection: true}
}

// normalize fills the default mode in and checks every field.
func (p RefreshPolicy) normalize() (RefreshPolicy, error) {
	switch p.Mode {
	case "":
		p.Mode, p.ReuseDetection = RefreshRotating, true
	case RefreshRotating:
	case RefreshReusable:
		if p.ReuseDetection || p.Grace != 0 {
			return p, fmt.Errorf("refresh policy: reuse detection and a grace period need mode %q, not %q", RefreshRotating, p.Mode)
		}
	default:
		return p, fmt.Errorf("refresh policy: mode %q is unknown; use %q or %q", p.Mode, RefreshReusable, RefreshRotating)
	}
	for _, d := range []struct {
		name  string
		v, to time.Duration
	}{{"grace", p.Grace, MaxRefreshLifetime}, {"idle lifetime", p.IdleLifetime, MaxRefreshLifetime},
		{"absolute lifetime", p.AbsoluteLifetime, MaxRefreshLifetime}, {"access lifetime", p.AccessLifetime, MaxLifetime}} {
		if d.v < 0 || d.v > d.to {
			return p, fmt.Errorf("refresh policy: %s %v is out of range 0..%v", d.name, d.v, d.to)
		}
	}
	return p, nil
}
