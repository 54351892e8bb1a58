// Package fakeissuer is tokentop's embedded token issuer: it mints signed JWTs
// on a shared (possibly time-warped) clock, keeps identities and revocations,
// and injects faults, both in-process (as an issuer.Issuer) and over HTTP.
//
// The HTTP handler serves a sample app server (/getToken), an OAuth2/OIDC
// provider (/oauth2/token, /jwks), a protected resource (/api/me), an admin
// API for faults (/admin/faults) and an emulation of the ACS Identity REST API
// (acs*.go), so that real clients can be pointed at it. Every token request,
// in-process or HTTP, goes through one path (Issuer.issue): faults first, then
// the identity check, then minting, so all entry points fail alike.
package fakeissuer
