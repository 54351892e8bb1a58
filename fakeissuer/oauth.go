package fakeissuer

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// tokenResponse is an RFC 6749 §5.1 access token response.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
	// RefreshToken is set by the user-session grants (oauth_user.go).
	RefreshToken string `json:"refresh_token,omitempty"`
}

// openIDConfig is the OIDC discovery document (the fields a client needs).
type openIDConfig struct {
	Issuer            string   `json:"issuer"`
	AuthzEndpoint     string   `json:"authorization_endpoint"`
	JWKSURI           string   `json:"jwks_uri"`
	TokenEndpoint     string   `json:"token_endpoint"`
	GrantTypes        []string `json:"grant_types_supported"`
	ResponseTypes     []string `json:"response_types_supported"`
	SubjectTypes      []string `json:"subject_types_supported"`
	SigningAlgs       []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuth []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported   []string `json:"scopes_supported"`
	ClaimsSupported   []string `json:"claims_supported"`
	DeviceEndpoint    string   `json:"device_authorization_endpoint"`
	RevocationEnd     string   `json:"revocation_endpoint"`
	RevocationAuth    []string `json:"revocation_endpoint_auth_methods_supported"`
}

func (i *Issuer) oauthRoutes() {
	i.handle(PathOpenIDConfig, methods{http.MethodGet: i.serveOpenIDConfig})
	i.handle(PathJWKS, methods{http.MethodGet: i.serveJWKS})
	i.handle(PathOAuth2Token, oauthMethods{http.MethodPost: i.serveOAuth2Token})
	i.handle(PathOAuth2Authorize, oauthMethods{http.MethodGet: serveAuthorize, http.MethodPost: serveAuthorize})
	i.userGrantRoutes()
}

func (i *Issuer) serveOpenIDConfig(w http.ResponseWriter, r *http.Request) {
	base, ok := siteOf(r).baseURL(r)
	if !ok {
		writeError(w, http.StatusForbidden, "HostNotAllowed", fmt.Sprintf(
			"the discovery document is built for localhost, 127.0.0.1 or [::1], or the public URL the server was started with; Host %.100q is none of them", r.Host))
		return
	}
	writeJSON(w, http.StatusOK, openIDConfig{
		Issuer:            i.issuerURL,
		AuthzEndpoint:     base + PathOAuth2Authorize,
		JWKSURI:           base + PathJWKS,
		TokenEndpoint:     base + PathOAuth2Token,
		GrantTypes:        []string{"client_credentials", grantRefreshToken, grantDeviceCode},
		ResponseTypes:     []string{"token"},
		SubjectTypes:      []string{"public"},
		SigningAlgs:       []string{i.key.alg},
		TokenEndpointAuth: []string{"client_secret_basic", "client_secret_post", "none"},
		ScopesSupported:   append([]string(nil), defaultScopes...),
		ClaimsSupported:   []string{"sub", "iss", "aud", "exp", "iat", "nbf", "jti", "scp", "appid", "oid", "tid"},
		DeviceEndpoint:    base + PathOAuth2Device,
		RevocationEnd:     base + PathOAuth2Revoke,
		RevocationAuth:    []string{"client_secret_basic", "client_secret_post", "none"},
	})
}

// serveAuthorize is the authorization endpoint that OIDC discovery must
// name. The issuer has no users to log in: it serves only the client
// credentials grant, so every authorization request is refused (RFC 6749
// §4.1.2.1, answered directly since no redirect URI is trusted).
func serveAuthorize(w http.ResponseWriter, r *http.Request) {
	writeOAuthError(w, http.StatusBadRequest, "unsupported_response_type",
		"this issuer has no authorization endpoint flows; users sign in with the device flow at "+PathOAuth2Device+", clients with grant_type=client_credentials at "+PathOAuth2Token)
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, i.key.publicJWKS())
}

// serveOAuth2Token runs the client credentials grant (RFC 6749 §4.4) with
// client_secret_basic or client_secret_post. A non-standard expires_in form
// field (seconds) asks for a lifetime.
func (i *Issuer) serveOAuth2Token(w http.ResponseWriter, r *http.Request) {
	form, ok := i.readOAuthForm(w, r)
	if !ok {
		return
	}
	gt := form.Get("grant_type")
	if gt == grantRefreshToken || gt == grantDeviceCode {
		i.serveUserGrant(w, r, form, gt)
		return
	}
	if status, code, msg := i.authenticateClient(r, form); status != 0 {
		i.refuseClient(w, status, code, msg)
		return
	}
	switch gt {
	case "client_credentials":
	case "":
		i.countFailure("")
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing; this endpoint serves grant_type=client_credentials, refresh_token and "+grantDeviceCode)
		return
	default:
		i.countFailure("")
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %.60q is not supported; use client_credentials, refresh_token or %s", gt, grantDeviceCode))
		return
	}
	var lifetime time.Duration
	if v := form.Get("expires_in"); v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs <= 0 || secs > int64(MaxLifetime/time.Second) {
			i.countFailure("")
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("expires_in %q is not a number of seconds in 1..%d", v, int64(MaxLifetime/time.Second)))
			return
		}
		lifetime = time.Duration(secs) * time.Second
	}
	scopes, err := parseScope(form.Get("scope"))
	if err != nil {
		i.countFailure("")
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", err.Error())
		return
	}
	tok, claims, err := i.issueUpstreamForOAuth2(w, r, scopes, lifetime)
	if err != nil {
		writeOAuthIssueError(w, err)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok.Token,
		TokenType:   "Bearer",
		ExpiresIn:   ceilSeconds(tok.ExpiresOn.Sub(i.clock.Now())),
		Scope:       strings.Join(claims.Scopes, " "),
	})
}

// refuseClient answers a failed client authentication.
func (i *Issuer) refuseClient(w http.ResponseWriter, status int, code, msg string) {
	i.countFailure("")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	}
	writeOAuthError(w, status, code, msg)
}

// readOAuthForm reads an OAuth2 endpoint's form body, each parameter once;
// on failure it has answered the request.
func (i *Issuer) readOAuthForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		i.countFailure("")
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "send the token request as application/x-www-form-urlencoded")
		return nil, false
	}
	if err := r.ParseForm(); err != nil {
		i.countFailure("")
		if _, ok := errorsAs[*http.MaxBytesError](err); ok {
			writeOAuthError(w, http.StatusRequestEntityTooLarge, "invalid_request", fmt.Sprintf("the request body is larger than %d bytes", MaxRequestBody))
			return nil, false
		}
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the form does not parse: "+err.Error())
		return nil, false
	}
	form := r.PostForm
	if name, ok := repeatedParam(form); ok {
		i.countFailure("")
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("the parameter %.40q is sent more than once; send each parameter once (RFC 6749 §3.2)", name))
		return nil, false
	}
	return form, true
}

// repeatedParam returns the name of a form parameter sent more than once:
// RFC 6749 §3.2 forbids that, and taking the first of two grant types or
// secrets would let a proxy and the issuer disagree on what was asked.
func repeatedParam(form url.Values) (string, bool) {
	names := make([]string, 0, len(form))
	for name, vals := range form {
		if len(vals) > 1 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "", false
	}
	slices.Sort(names) // the same request always names the same parameter
	return names[0], true
}

// parseScope splits an RFC 6749 §3.3 scope: scope-tokens separated by
// spaces.
func parseScope(scope string) ([]string, error) {
	tokens := strings.FieldsFunc(scope, func(c rune) bool { return c == ' ' })
	if err := checkScopeTokens(tokens); err != nil {
		return nil, err
	}
	return tokens, nil
}

// checkScopeTokens refuses a scope token that is empty or has a character
// outside RFC 6749's scope-token syntax (a control character, a space, '"',
// '\' or non-ASCII): such a scope would be granted into the token as sent.
func checkScopeTokens(tokens []string) error {
	for _, tok := range tokens {
		if tok == "" {
			return errors.New("a scope is empty")
		}
		for n := 0; n < len(tok); n++ {
			if !scopeChar(tok[n]) {
				return fmt.Errorf(`the scope %.40q has the byte %q at %d; scope tokens are printable ASCII other than space, " and \ (RFC 6749 §3.3)`, tok, tok[n], n)
			}
		}
	}
	return nil
}

// scopeChar reports whether c may appear in a scope-token:
// %x21 / %x23-5B / %x5D-7E.
func scopeChar(c byte) bool {
	return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e)
}

// authenticateClient checks client_secret_basic or client_secret_post; it
// returns a zero status when the client is the configured one.
func (i *Issuer) authenticateClient(r *http.Request, form url.Values) (status int, code, msg string) {
	basicID, basicSecret, hasBasic := r.BasicAuth()
	_, hasFormSecret := form["client_secret"]
	if hasBasic && hasFormSecret {
		return http.StatusBadRequest, "invalid_request", "the client authenticated twice (Basic and form); use one method"
	}
	var id, secret string
	switch {
	case hasBasic:
		// RFC 6749 §2.3.1: the id and secret are form-urlencoded inside Basic.
		var err1, err2 error
		id, err1 = url.QueryUnescape(basicID)
		secret, err2 = url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return http.StatusBadRequest, "invalid_request", "the Basic credentials are not form-urlencoded"
		}
	case hasFormSecret:
		id, secret = form.Get("client_id"), form.Get("client_secret")
	default:
		return http.StatusUnauthorized, "invalid_client", "no client authentication; send the client id and secret with HTTP Basic or as client_id and client_secret form fields"
	}
	okID := subtle.ConstantTimeCompare([]byte(id), []byte(i.clientID)) == 1
	okSecret := subtle.ConstantTimeCompare([]byte(secret), []byte(i.clientSecret)) == 1
	if !okID || !okSecret {
		return http.StatusUnauthorized, "invalid_client", "client authentication failed: unknown client id or wrong secret"
	}
	return 0, "", ""
}

// writeOAuthError writes an RFC 6749 error response.
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, oauthError{Error: code, Description: desc})
}

// writeOAuthIssueError maps a failed token request onto RFC 6749 error codes.
func writeOAuthIssueError(w http.ResponseWriter, err error) {
	se, ok := errorsAs[*StatusError](err)
	if !ok {
		writeOAuthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", err.Error())
		return
	}
	setRetryAfter(w, se.RetryAfter)
	code := "server_error"
	switch {
	case oauthGrantCode(se):
		code = se.Code
	case se.Status == http.StatusUnauthorized:
		code = "invalid_client"
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	case se.Status == http.StatusTooManyRequests || se.Status == http.StatusServiceUnavailable:
		code = "temporarily_unavailable"
	case se.Status < 500:
		code = "invalid_request"
	}
	writeOAuthError(w, se.Status, code, se.Message)
}

// ceilSeconds is d in whole seconds, rounded up: a token minted on a whole
// second reports the lifetime asked for.
func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
