package issuer

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// CacheIdentifier is implemented by issuers whose tokens a token cache may
// keep across runs. A cache files each token under the issuer's cache
// identity, so a token is only ever resumed by the same configuration.
type CacheIdentifier interface {
	// CacheIdentity describes everything in the issuer's configuration that
	// chooses the principal its tokens are for and their audience (endpoint,
	// client id, configured scopes, audience, resource, request method and
	// body, header names, command...). The same configuration gives the same
	// text in every process. It holds no secret: each secret (a client
	// secret, an access key, a header value) appears only as digest(secret),
	// a keyed digest the cache supplies.
	CacheIdentity(digest func(secret string) string) string
}

// IdentityDeleter is implemented by issuers that delete the principals
// they made when closed (acs: unless keep_users): the tokens of the
// identities DeletedIdentities names died with them, and a cache should
// forget them.
type IdentityDeleter interface {
	// DeletedIdentities returns the identities whose principals Close
	// deleted, sorted; none before Close.
	DeletedIdentities() []string
}

// identityText builds a cache identity: named fields in a fixed order,
// encoded as JSON so that no two configurations give the same text.
type identityText [][]string

func (t *identityText) add(name string, values ...string) {
	*t = append(*t, append([]string{name}, values...))
}

func (t identityText) String() string {
	b, err := json.Marshal(t)
	if err != nil { // strings always marshal
		panic(err)
	}
	return string(b)
}

// headerIdentity lists every request header as its name and the digest of
// its values: names choose, and values (a user header, a bearer secret)
// choose too, but may be secret.
func headerIdentity(h http.Header, digest func(string) string) []string {
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range h {
			if !yield(name) {
				return
			}
		}
	})
	out := make([]string, 0, len(names))
	for _, name := range names {
		out = append(out, name+": "+digest(strings.Join(h[name], "\n")))
	}
	return out
}

// CacheIdentity covers the token URL (its query as a digest), the client
// id, the client secret's digest, the configured scopes, audience and
// resource.
func (o *OAuth2) CacheIdentity(digest func(string) string) string {
	var t identityText
	t.add("kind", "oauth2")
	t.add("token_url", o.endpoint, digest(o.conf.TokenURL))
	t.add("client_id", o.conf.ClientID)
	t.add("client_secret", digest(o.conf.ClientSecret))
	t.add("scopes", o.conf.Scopes...)
	t.add("params", o.conf.EndpointParams.Encode())
	return t.String()
}

// CacheIdentity covers the method, the URL (its query as a digest), the
// body template, every header (names, and values as digests) and the
// token's field in the answer.
func (h *HTTP) CacheIdentity(digest func(string) string) string {
	var t identityText
	t.add("kind", "http")
	t.add("endpoint", h.endpoint, digest(h.url.String()))
	t.add("body", h.cfg.Body)
	t.add("headers", headerIdentity(h.header, digest)...)
	t.add("token_field", h.cfg.TokenField)
	return t.String()
}

// CacheIdentity covers the command line, the token's field in its output
// and the digests of the secret_env variables it is given. What the command
// reads elsewhere (the account a CLI is signed in to) is outside it.
func (e *Exec) CacheIdentity(digest func(string) string) string {
	var t identityText
	t.add("kind", "exec")
	t.add("argv", e.cfg.Argv...)
	t.add("path", e.path)
	t.add("token_field", e.cfg.TokenField)
	for _, name := range e.cfg.SecretEnv {
		v, _ := e.opts.lookupEnv(name)
		t.add("secret_env", name, digest(v))
	}
	return t.String()
}

// CacheIdentity covers the endpoint, the access key's digest, the
// configured scopes and whether users are kept.
func (a *ACS) CacheIdentity(digest func(string) string) string {
	var t identityText
	t.add("kind", "acs")
	t.add("endpoint", a.endpoint)
	t.add("access_key", digest(string(a.key)))
	t.add("scopes", a.scopes...)
	if a.keep {
		t.add("keep_users")
	}
	return t.String()
}

var (
	_ CacheIdentifier = (*OAuth2)(nil)
	_ CacheIdentifier = (*HTTP)(nil)
	_ CacheIdentifier = (*Exec)(nil)
	_ CacheIdentifier = (*ACS)(nil)
	_ IdentityDeleter = (*ACS)(nil)
)
