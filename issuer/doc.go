// Package issuer defines where tokens come from: the Issuer interface and
// adapters for an HTTP app server ([HTTP]), an OAuth2 client-credentials
// endpoint ([OAuth2]), a command that prints a token ([Exec]) and the Azure
// Communication Services Identity API ([ACS]).
//
// # Issuer specs
//
// [ParseSpec] reads the issuer spec a user types on the command line:
//
//	fake
//	    The embedded fake issuer. Package issuer only recognises it: the caller
//	    builds it with package fakeissuer (Spec.New returns ErrFakeIssuer).
//
//	http://host:port/path[#options]
//	https://host/path[#options]
//	    An app server endpoint such as the ACS sample's /getToken. By default it
//	    POSTs {"username": IDENTITY} and reads communicationIdentityToken (or
//	    access_token, accessToken, token) and an expiry field from the JSON
//	    reply; a plain-text reply is taken as the raw token. Options go in the
//	    URL fragment (never sent to the server), query-encoded; quote the
//	    spec in a shell because of the &:
//	      method=GET|POST            default POST; GET sends no body
//	      body=TEMPLATE              request body; {{identity}} becomes the identity
//	                                 as a JSON string, {{scopes}} a JSON array,
//	                                 {{lifetime_minutes}} a number (0 = default)
//	      token=PATH                 dotted JSON path of the token, e.g. data.token
//	      header=Name:value          extra header (repeatable); refused for names that
//	                                 carry credentials (Authorization, Cookie, *key*,
//	                                 *token*, *secret*, *auth*) and for user:password@
//	                                 in the URL: use header_env
//	      header_env=Name:VAR        header whose value is read from env var VAR
//	      jwks=URL | issuer_url=URL  the signing keys (see Signature checks)
//	    e.g. 'https://app.example/getToken#token=accessToken.token&header_env=Authorization:APP_AUTH'
//
//	oauth2:token_url=URL,client_id=ID,secret_env=VAR|secret_file=PATH[,scope=S]...[,audience=A][,resource=R][,auth=header|params]
//	    The OAuth2 client-credentials grant. The client secret is read from the
//	    environment variable VAR or from the file PATH (trailing newline
//	    trimmed), never from the spec itself. scope may repeat, or hold several
//	    scopes separated by spaces; without one the request's scopes are sent.
//	    audience and resource are sent as extra token-request parameters.
//	    jwks=URL or issuer_url=URL name the signing keys. Values cannot
//	    contain commas.
//
//	exec:command arg1 arg2 ...
//	    Runs a command (no shell; words are split on spaces, with '...' and
//	    "..." quoting and \ escapes) and reads a raw token or a JSON object
//	    (token|accessToken|access_token with expiresOn|expires_on|expires_in)
//	    from its stdout, e.g. exec:az account get-access-token -o json. The
//	    command gets TOKENTOP_IDENTITY, TOKENTOP_SCOPES (space-separated) and
//	    TOKENTOP_LIFETIME_SECONDS in its environment. It runs in its own
//	    process group, which is sent SIGTERM when the call's context ends and
//	    SIGKILL if the command is still running Options.KillDelay (default
//	    2s) later. On Linux, what is left of the group (children started in
//	    the background) is killed as soon as the command exits, so that no
//	    process outlives the call; elsewhere such children outlive it. A
//	    token printed before the command exited is used even if a child it
//	    left behind still holds stdout open.
//
//	exec[jwks=URL]:command arg1 arg2 ...
//	exec[issuer_url=URL]:command arg1 arg2 ...
//	    The same, with the signing keys; the options end at the ] that closes
//	    exec[, so an IPv6 address needs no quoting.
//
//	acs:connection_string_env=VAR|connection_string_file=PATH[,scope=S]...[,keep_users=true][,jwks=URL|issuer_url=URL]
//	    The Azure Communication Services Identity REST API, with the connection
//	    string "endpoint=https://HOST/;accesskey=KEY" read from the
//	    environment variable VAR or the file PATH (at most 4 KiB), never from
//	    the spec. Requests are signed with HMAC-SHA256 as the official client
//	    libraries sign them. Each identity gets a Communication user at its
//	    first token request, kept for the run; tokens carry the request's
//	    scopes (else scope=, else chat and voip) and its lifetime, which ACS
//	    takes in whole minutes from 60 to 1440 (none: 24h; any other is a
//	    permanent error, sent nowhere). Revoke revokes the user's tokens;
//	    Close deletes the users made (keep_users=true keeps them), within 30s.
//	    http is taken only for a loopback endpoint (an emulator such as
//	    tokentop fakeissuer).
//
// # HTTP timings and signature checks
//
// When a call's context carries a [CallInfo] ([WithCallInfo]), the HTTP and
// OAuth2 adapters fill CallInfo.HTTP with the timings of the call's last
// HTTP exchange, through net/http/httptrace, and every adapter fills
// CallInfo.Signature. The keys come from jwks=URL (a JWK Set) or
// issuer_url=URL (an OpenID Connect issuer whose discovery document names
// its JWK Set); without them a token is not checked ([WhyNoKeys]). They are
// fetched with the adapter's HTTP client when it is built, and again within
// a call once an hour old or, at most once per 5 minutes, for a kid the set
// lacks. Keys it cannot read are skipped and named. Neither a failed fetch
// nor a bad signature fails the call: the verdict says what went wrong.
// [CheckSignature] is the same check, once. Close the adapter (io.Closer)
// to end a fetch in flight.
//
// # Shared behaviour
//
// Every adapter bounds a call by [Options.Timeout] (default 10s) and the
// caller's context, reads at most 1 MiB of response (or stdout) and 64 KiB
// of client-secret file, rejects a token that has already expired, and
// reports errors that name the endpoint (its URL without query or password)
// and what was wrong. The HTTP-based adapters share one [http.Client] (see
// [NewHTTPClient], which also bounds response headers to 64 KiB) so that
// connections are reused, and follow redirects only within the endpoint's
// own scheme and host, so that header_env headers and client secrets never
// reach another server. A POST sent on a kept-alive connection that the
// server closed before answering is sent again on another connection (only
// after a reused connection fails: a fresh one that fails is not retried).
//
// # Redaction
//
// Errors quote at most 200 bytes of a response body or a command's stderr,
// on one line. Every secret an adapter holds (the OAuth2 client secret,
// header_env values, ExecConfig.SecretEnv values) is replaced by [redacted]
// in its errors, whatever its shape, in every form the adapter sends it:
// as is, URL-encoded, JSON-escaped, and inside the HTTP Basic credential.
// Quoted text also has anything that looks like a token (a JWT, a long mix
// of letters and digits) and the value of any credential-named key
// (password=, client_secret=, X-Api-Key:, Authorization: Bearer ...,
// accesskey=) replaced.
//
// Expiry is read from, in order: expires_on / expiresOn / expires_at /
// expiresAt (epoch seconds, RFC 3339, or the Azure CLI's local
// "2006-01-02 15:04:05.000000"), then expires_in / expiresIn (seconds from
// now; at least 1, a fraction rounded down), then the JWT "exp" claim. A
// date before 1970, such as the zero date 0001-01-01, is an error, not "no
// expiry". A body that is JSON but not an object or a string (42, true,
// null) is not a token. A token of three dot-separated segments
// must parse as a JWT (one without exp only when a field gives the expiry).
// An opaque token with none of these is returned with a zero ExpiresOn, and
// the credential applies its opaque-token lifetime. An OAuth2 refresh_in
// becomes AccessToken.RefreshOn.
package issuer
