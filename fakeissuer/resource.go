package fakeissuer

import (
	"errors"
	"net/http"
	"strings"
)

func (i *Issuer) resourceRoutes() {
	i.handle(PathMe, methods{http.MethodGet: i.serveMe})
}

// serveMe is a protected resource: 200 with the token's claims, or 401 with
// a WWW-Authenticate challenge that says why the token was refused.
func (i *Issuer) serveMe(w http.ResponseWriter, r *http.Request) {
	raw, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_request", "no bearer token; send Authorization: Bearer <token>")
		return
	}
	claims, err := i.Verify(raw)
	if err != nil {
		desc := refusalReason(err) + ": " + err.Error()
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`", error="invalid_token", error_description="`+quoteSafe(desc)+`"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", desc)
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

// bearerToken reads "Authorization: Bearer <token>" (scheme case-insensitive).
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, found := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !found || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// refusalReason is the one-word reason a token was refused.
func refusalReason(err error) string {
	switch {
	case errors.Is(err, ErrTokenExpired):
		return "expired"
	case errors.Is(err, ErrTokenRevoked):
		return "revoked"
	case errors.Is(err, ErrBadSignature):
		return "bad signature"
	case errors.Is(err, ErrMalformedToken):
		return "malformed"
	case errors.Is(err, ErrTokenNotYetValid):
		return "not yet valid"
	}
	return "invalid"
}

// quoteSafe makes s fit inside a quoted auth-param (RFC 6750 §3 allows
// printable ASCII except '"' and '\').
func quoteSafe(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\'')
		case c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
