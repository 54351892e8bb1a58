package issuer

import (
	"context"
	"time"
)

// CallInfo is what an adapter learns about one issuer call besides its
// token, for a person debugging the issuer: where the HTTP time went and
// whether the token's signature checks out. The session package puts one in
// the context of every call (WithCallInfo); an adapter fills in what applies
// and leaves the rest zero.
type CallInfo struct {
	// HTTP holds the timings of the call's last HTTP exchange; nil for an
	// issuer that makes none (exec, the in-process fake).
	HTTP *HTTPTiming
	// Signature is the verdict on the returned token's signature.
	Signature SignatureCheck
}

// HTTPTiming is where one HTTP exchange's time went, as httpstat shows it.
// A phase that did not happen (DNS for an IP address, TLS for http, all of
// them on a reused connection) is zero.
type HTTPTiming struct {
	DNS       time.Duration
	Connect   time.Duration
	TLS       time.Duration
	FirstByte time.Duration // from sending the request to the first byte of the answer
	Total     time.Duration
	Reused    bool // the connection was reused: no DNS, connect or TLS
	Status    int
	Bytes     int64 // the response body's size as read
}

// SignatureState says whether a token's signature was checked and how it went.
type SignatureState string

// The signature states.
const (
	SignatureNotChecked SignatureState = "not checked" // Why says why: no keys configured, the issuer publishes none
	SignatureVerified   SignatureState = "verified"    // a key of the issuer's key set verifies it
	SignatureInvalid    SignatureState = "invalid"     // Why says why: bad signature, alg not allowed, malformed
	SignatureUnknownKey SignatureState = "unknown key" // its kid is not in the key set, even after a refresh
)

// SignatureCheck is the verdict on a token's signature.
type SignatureCheck struct {
	State SignatureState `json:"state"`
	Why   string         `json:"why,omitempty"`
	Alg   string         `json:"alg,omitempty"`
	KeyID string         `json:"kid,omitempty"`
}

type callInfoKey struct{}

// WithCallInfo returns a context that asks adapters to report on the call in info.
func WithCallInfo(ctx context.Context, info *CallInfo) context.Context {
	return context.WithValue(ctx, callInfoKey{}, info)
}

// CallInfoFrom returns the CallInfo that WithCallInfo put in ctx, or nil.
func CallInfoFrom(ctx context.Context) *CallInfo {
	info, _ := ctx.Value(callInfoKey{}).(*CallInfo)
	return info
}
