package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenInfo is a token decoded for display. It is never used to trust the
// token: the signature is not checked here (see Options.VerifySignature), and
// the raw signature is never shown.
type tokenInfo struct {
	Fingerprint string // "sha256:1a2b3c4d", safe to show and to compare tokens by
	Decoded     bool   // the token is a JWT whose header and claims parse
	DecodeErr   string // why it did not decode, when Decoded is false
	Alg, Kid    string
	Subject     string
	Issuer      string
	Audience    []string
	Scopes      []string
	IssuedAt    time.Time
	NotBefore   time.Time
	ExpiresAt   time.Time
	Other       []string // remaining claims as "key=value", sorted
	// All lists every header field and every claim, in that order, each
	// sorted by name, as "name  value" with numeric times also written as
	// dates: the describe view's "all claims".
	All []string
}

// decodeToken decodes a raw token's header and claims without verifying it.
// An opaque token (not three segments) is reported as not decoded, with its
// fingerprint only.
func decodeToken(raw string) tokenInfo {
	info := tokenInfo{Fingerprint: fingerprint(raw)}
	if raw == "" {
		info.DecodeErr = "no token"
		return info
	}
	if strings.Count(raw, ".") != 2 {
		info.DecodeErr = "opaque token (not a JWT)"
		return info
	}
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(raw, claims)
	if err != nil {
		info.DecodeErr = shortError(err)
		return info
	}
	info.Decoded = true
	info.Alg, _ = tok.Header["alg"].(string)
	info.Kid, _ = tok.Header["kid"].(string)
	info.Subject, _ = claims.GetSubject()
	info.Issuer, _ = claims.GetIssuer()
	info.Audience, _ = claims.GetAudience()
	info.IssuedAt = numericTime(claims.GetIssuedAt())
	info.NotBefore = numericTime(claims.GetNotBefore())
	info.ExpiresAt = numericTime(claims.GetExpirationTime())
	info.Scopes = scopes(claims["scp"])
	for k, v := range claims {
		switch k {
		case "sub", "iss", "aud", "iat", "nbf", "exp", "scp":
			continue
		}
		info.Other = append(info.Other, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(info.Other)
	info.All = append(namedValues("header ", tok.Header), namedValues("", claims)...)
	return info
}

// namedValues writes each entry of m as "prefix+name  value", sorted by
// name; the values as JSON, and iat, nbf and exp also as UTC dates.
func namedValues(prefix string, m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		text := fmt.Sprint(v)
		if b, err := json.Marshal(v); err == nil {
			text = string(b)
		}
		if f, ok := v.(float64); ok && prefix == "" && (k == "iat" || k == "nbf" || k == "exp") {
			text += " (" + time.Unix(int64(f), 0).UTC().Format(time.DateTime) + " UTC)"
		}
		out = append(out, prefix+k+"  "+text)
	}
	sort.Strings(out)
	return out
}

// TimeValid reports whether the decoded token is within its nbf..exp at now.
func (t tokenInfo) TimeValid(now time.Time) bool {
	if !t.Decoded || t.ExpiresAt.IsZero() || !now.Before(t.ExpiresAt) {
		return false
	}
	return t.NotBefore.IsZero() || !now.Before(t.NotBefore)
}

// fingerprint is a short, non-reversible name for a token.
func fingerprint(raw string) string {
	if raw == "" {
		return "-"
	}
	sum := sha256.Sum256([]byte(raw))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

func numericTime(d *jwt.NumericDate, err error) time.Time {
	if err != nil || d == nil {
		return time.Time{}
	}
	return d.Time
}

// scopes reads "scp" as either a space-separated string or a list.
func scopes(v any) []string {
	switch s := v.(type) {
	case string:
		return strings.Fields(s)
	case []any:
		out := make([]string, 0, len(s))
		for _, e := range s {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// shortError keeps the first line of an error, for a one-line badge.
func shortError(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
