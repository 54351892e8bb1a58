package tokencache

import (
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

// Issue 20, defect 11: keys of 32 characters or more that are easy to guess
// are refused, saying why and what makes a good key, without quoting the key.
func TestLowEntropySecretsAreRefused(t *testing.T) {
	for name, secret := range map[string]string{
		"one character":        strings.Repeat("k", 40),
		"spaces":               strings.Repeat(" ", 32),
		"control characters":   strings.Repeat("\x01", 32),
		"a newline inside":     "Zq8v3Lw1Nx5Rb7Tc9Hd2Kf4Mg6Pj0Qs\nAe",
		"two characters":       strings.Repeat("ab", 16),
		"a repeated word":      strings.Repeat("password", 4),
		"a repeated pattern":   strings.Repeat("Password1!", 4),
		"a repeated hex run":   strings.Repeat("0123456789abcdef", 2),
		"mostly one character": strings.Repeat("a", 24) + "bcdefghij",
	} {
		t.Run(name, func(t *testing.T) {
			err := checkSecret(secret)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range []string{"TOKENTOP_CACHE_KEY", "openssl rand -base64 32"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error quotes the key: %q", err)
			}
			t.Log(err)
		})
	}
}

// Random keys pass: 2,000 each of `openssl rand -base64 32` and
// `openssl rand -hex 16` (the shortest random key at 128 bits) shapes, and
// a long passphrase.
func TestRandomSecretsAreAccepted(t *testing.T) {
	rnd := rand.New(rand.NewChaCha8([32]byte{20, 11}))
	for range 2000 {
		b := make([]byte, 32)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		for _, secret := range []string{base64.StdEncoding.EncodeToString(b), hex.EncodeToString(b[:16])} {
			if err := checkSecret(secret); err != nil {
				t.Fatalf("a random key was refused: %v", err)
			}
		}
	}
	if err := checkSecret(testSecret); err != nil {
		t.Errorf("the passphrase was refused: %v", err)
	}
}
