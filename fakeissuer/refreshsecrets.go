package fakeissuer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
)

// Reasons a user-session grant fails, wrapped by its *StatusError (whose
// Code is then the RFC 6749 or RFC 8628 error code).
var (
	// ErrInvalidGrant: the refresh token or device code is unknown,
	// expired, revoked, rotated out or issued to another client.
	ErrInvalidGrant = errors.New("invalid_grant")
	// ErrAuthorizationPending: the user has not answered the device
	// sign-in yet.
	ErrAuthorizationPending = errors.New("authorization_pending")
	// ErrSlowDown: the device code was polled faster than its interval,
	// which has now grown by 5 s.
	ErrSlowDown = errors.New("slow_down")
	// ErrDeviceCodeExpired: the device code expired before approval
	// (expired_token).
	ErrDeviceCodeExpired = errors.New("expired_token")
	// ErrAccessDenied: the user denied the device sign-in.
	ErrAccessDenied = errors.New("access_denied")
	// ErrResponseLost: a lose-response fault dropped the answer of a grant
	// the issuer made (a refresh token rotated all the same).
	ErrResponseLost = fmt.Errorf("response lost: %w", ErrFaultInjected)
)

// grantError is a user-session grant refused with an OAuth error code.
func grantError(reason error, msg string) *StatusError {
	status := http.StatusBadRequest
	if errors.Is(reason, ErrAccessDenied) {
		status = http.StatusForbidden
	}
	return &StatusError{Status: status, Code: reason.Error(), Message: msg, Err: reason}
}

// oauthGrantCode reports whether se carries an OAuth error code of a
// user-session grant, to be sent as is.
func oauthGrantCode(se *StatusError) bool {
	for _, e := range []error{ErrInvalidGrant, ErrAuthorizationPending, ErrSlowDown, ErrDeviceCodeExpired, ErrAccessDenied, errInvalidScope} {
		if se.Err == e {
			return true
		}
	}
	return false
}

var errInvalidScope = errors.New("invalid_scope")

// tokenHash is the SHA-256 of a refresh token or device code: the issuer
// keeps no such secret in clear.
type tokenHash [sha256.Size]byte

func hashSecret(s string) tokenHash { return sha256.Sum256([]byte(s)) }

// newSecret returns prefix and 256 random bits, base64url.
func newSecret(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// sealSuccessor encrypts a rotation's new refresh token under the one it
// replaced, so that the issuer can hand it again to a client presenting
// the old token in the grace period without holding it in clear. Each key
// seals one message, so the nonce can be fixed.
func sealSuccessor(pred, succ string) []byte {
	return successorAEAD(pred).Seal(nil, make([]byte, 12), []byte(succ), nil)
}

func openSuccessor(pred string, sealed []byte) (string, bool) {
	b, err := successorAEAD(pred).Open(nil, make([]byte, 12), sealed, nil)
	return string(b), err == nil
}

func successorAEAD(pred string) cipher.AEAD {
	key := sha256.Sum256([]byte("tokentop fakeissuer successor\x00" + pred))
	block, _ := aes.NewCipher(key[:]) // a 32-byte key never fails
	aead, _ := cipher.NewGCM(block)
	return aead
}
