// Package fakeissuer is tokentop's embedded token issuer: it mints signed JWTs
// on a shared (possibly time-warped) clock, keeps identities and revocations,
// and injects faults, both in-process (as an issuer.Issuer) and over HTTP.
//
// The HTTP handler serves a sample app server (/getToken), an OAuth2/OIDC
// provider (/oauth2/token, /jwks), a protected resource (/api/me) and an admin
// API for faults (/admin/faults), so that real clients can be pointed at it.
package fakeissuer
