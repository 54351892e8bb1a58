package credential

import "time"

// AccessToken is a raw token with its expiry.
type AccessToken struct {
	// Token is the raw token string (usually a JWT).
	Token string
	// ExpiresOn is when the token stops being valid.
	ExpiresOn time.Time
	// RefreshOn is an optional issuer hint (an OAuth2 refresh_in) of when to
	// refresh; zero means the policy decides.
	RefreshOn time.Time
}
