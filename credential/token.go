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
	// Detail is the refresher's own report on the call that fetched the
	// token (an issuer adapter's *issuer.CallInfo, say), opaque to the
	// credential. It travels with the result: in the Event that reports the
	// refresh, and with the token to GetToken callers. A refresher may
	// return it with an error too; it then reaches the EventFailed only.
	Detail any
	// Minted reports that the refresher signed Token itself and ExpiresOn is
	// the expiry it wrote into it (an in-process issuer): the credential
	// takes the token as it is instead of reading it back. A refresher that
	// passes on a token from elsewhere leaves it false, and the token is
	// parsed as Refresher says.
	Minted bool
}
