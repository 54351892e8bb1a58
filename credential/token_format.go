package credential

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Fingerprint returns a short, stable identifier of the raw token (the first
// 8 hex digits of its SHA-256), to tell tokens apart in logs without showing
// them; "" for an empty token.
func (t AccessToken) Fingerprint() string {
	if t.Token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(t.Token))
	return hex.EncodeToString(sum[:4])
}

// String describes the token by fingerprint and expiry, never the token
// itself: "AccessToken{sha256:1a2b3c4d expires 2026-01-02T15:04:05Z}".
func (t AccessToken) String() string {
	if t.Token == "" {
		return "AccessToken{none}"
	}
	s := "AccessToken{sha256:" + t.Fingerprint() + " expires " + t.ExpiresOn.UTC().Format(time.RFC3339)
	if !t.RefreshOn.IsZero() {
		s += " refresh-on " + t.RefreshOn.UTC().Format(time.RFC3339)
	}
	return s + "}"
}

// GoString is String, so that %#v does not show the token either.
func (t AccessToken) GoString() string { return t.String() }

// Format prints String for every verb (%v, %+v, %#v, %s, %q), so that
// printing a token, or a struct holding one such as Snapshot, never shows
// the raw token. Print t.Token explicitly to show it.
func (t AccessToken) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", t.String())
		return
	}
	fmt.Fprint(f, t.String())
}
