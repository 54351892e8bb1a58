// Package issuer defines where tokens come from: the Issuer interface and
// adapters for an HTTP app server ([HTTP]), an OAuth2 client-credentials
// endpoint ([OAuth2]), a command that prints a token ([Exec]) and the Azure
// Communication Services Identity API ([ACS]).
//
// [ParseSpec] reads the issuer spec a user types after --issuer. Every kind
// of spec, the options each takes, and what the adapters share (timeouts,
// size limits, redaction, HTTP timings, signature checks, how expiry is
// read) are documented for users in docs/issuers.md and the README's issuer
// sections.
package issuer
