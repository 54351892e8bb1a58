package issuer

import (
	"context"
	"time"

	"tokentop/credential"
)

// Request asks an issuer for a token.
type Request struct {
	// Identity is the user or principal the token is for.
	Identity string
	// Scopes are the permissions asked for; an issuer may ignore them.
	Scopes []string
	// Lifetime is the validity asked for; zero means the issuer's default.
	Lifetime time.Duration
}

// MaxLifetime is the longest Lifetime the fake issuer grants (366 days); it
// refuses a longer one on every call. It lives here, not in fakeissuer, so
// that the screen can bound its form without linking the fake.
const MaxLifetime = 366 * 24 * time.Hour

// Issuer issues tokens. Issue must return promptly once ctx is done.
type Issuer interface {
	Issue(ctx context.Context, r Request) (credential.AccessToken, error)
	// Name describes the issuer for display, e.g. "fake (in-process)" or a URL.
	Name() string
}

// Revoker is implemented by issuers that can revoke every token of an identity.
type Revoker interface {
	Revoke(ctx context.Context, identity string) error
}
