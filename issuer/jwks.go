package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
)

// Limits on what a key set may cost.
const (
	// maxKeyDocBytes bounds an OIDC discovery document and a JWK Set; real
	// ones are a few KiB.
	maxKeyDocBytes = 1 << 20
	// maxSetKeys is how many keys of a set are read; real sets hold a few.
	maxSetKeys = 100
	// maxRSABits is the largest RSA modulus read: twice the largest in use.
	// The cost of a check grows with the square of the size, and a key of
	// a million bits kept each check busy for seconds.
	maxRSABits = 8192
	// maxSkipNotes is how many skipped keys a verdict names one by one.
	maxSkipNotes = 3
)

// setKey is a public key of a JWK Set, as a signature check uses it.
type setKey struct {
	kid string           // "" if the set gives none
	alg string           // the set's "alg" for it; "" if any fitting alg
	pub crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// jwks is a JWK Set as read: the keys tokentop can check signatures with,
// and what it skipped. RFC 7517 §5 asks a reader to ignore keys it does not
// understand, so a key of an unknown type, or a bad one, spoils only itself.
type jwks struct {
	keys    []setKey
	skipped []string // "key "k1": why", at most maxSkipNotes
	nSkip   int      // how many keys were skipped for what they hold
	unread  int      // how many keys past maxSetKeys were not read
}

// skipNote says which keys were skipped and why, or "" if none was.
func (s *jwks) skipNote() string {
	if s == nil || s.nSkip+s.unread == 0 {
		return ""
	}
	var notes []string
	if s.nSkip > 0 {
		note := fmt.Sprintf("skipped %s of the set: %s", plural(s.nSkip, "key"), strings.Join(s.skipped, "; "))
		if more := s.nSkip - len(s.skipped); more > 0 {
			note += fmt.Sprintf("; and %d more", more)
		}
		notes = append(notes, note)
	}
	if s.unread > 0 {
		notes = append(notes, fmt.Sprintf("did not read the %d keys past the first %d", s.unread, maxSetKeys))
	}
	return strings.Join(notes, "; ")
}

func (s *jwks) skip(name, why string) {
	s.nSkip++
	if len(s.skipped) < maxSkipNotes {
		s.skipped = append(s.skipped, name+": "+why)
	}
}

// readJWKS reads a JWK Set, skipping (and noting) the keys it cannot use.
// Only a document that is not a JWK Set at all is an error.
func readJWKS(body []byte) (*jwks, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("is not JSON (%s)", shapeOf(body, ""))
	}
	if doc.Keys == nil {
		return nil, errors.New(`has no "keys" array`)
	}
	set := &jwks{}
	for i, raw := range doc.Keys {
		if i == maxSetKeys {
			set.unread = len(doc.Keys) - i
			break
		}
		name := fmt.Sprintf("key #%d", i+1)
		var jwk jwkset.JWKMarshal
		if err := json.Unmarshal(raw, &jwk); err != nil {
			set.skip(name, "not a JWK object with string members")
			continue
		}
		if jwk.KID != "" {
			name = fmt.Sprintf("key %q", clip(jwk.KID))
		}
		pub, err := publicKey(jwk)
		if err != nil {
			set.skip(name, err.Error())
			continue
		}
		set.keys = append(set.keys, setKey{kid: jwk.KID, alg: string(jwk.ALG), pub: pub})
	}
	return set, nil
}

// errNotExponent is why an RSA key with a bad "e" is skipped.
var errNotExponent = errors.New(`"e" is not an RSA public exponent (an odd number from 3 to 2^31-1)`)

// publicKey reads a key with jwkset, or says why tokentop skips it: a key
// type or curve it does not check, a key jwkset refuses, or an RSA modulus
// too large to check at a bearable cost.
func publicKey(jwk jwkset.JWKMarshal) (crypto.PublicKey, error) {
	if err := checkedType(jwk); err != nil {
		return nil, err
	}
	for _, m := range keyMembers(jwk) {
		if m.value == "" {
			return nil, fmt.Errorf("no %q", m.name)
		}
	}
	// An Ed25519 key means EdDSA whether or not it says so; jwkset would
	// refuse one that carries a certificate (x5c) and no alg.
	if jwk.KTY == jwkset.KtyOKP && jwk.CRV == jwkset.CrvEd25519 && jwk.ALG == "" {
		jwk.ALG = jwkset.AlgEdDSA
	}
	// Use and key_ops are not what a signature check asks about, and an x5u
	// is never fetched, so none of them spoils a key.
	read, err := jwkset.NewJWKFromMarshal(jwk, jwkset.JWKMarshalOptions{},
		jwkset.JWKValidateOptions{SkipUse: true, SkipKeyOps: true, SkipX5UScheme: true})
	if err != nil {
		return nil, refusal(jwk, err)
	}
	switch pub := read.Key().(type) {
	case *rsa.PublicKey:
		if bits := pub.N.BitLen(); bits > maxRSABits {
			return nil, fmt.Errorf("its RSA modulus has %d bits, more than the %d tokentop reads", bits, maxRSABits)
		}
		if pub.E < 3 || pub.E%2 == 0 {
			return nil, errNotExponent
		}
		return pub, nil
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return pub, nil
	default:
		return nil, fmt.Errorf("jwkset read it as a %T, which tokentop does not check with", pub)
	}
}

// checkedType says why tokentop does not check signatures with keys of
// jwk's kty and crv, or nil if it does.
func checkedType(jwk jwkset.JWKMarshal) error {
	switch jwk.KTY {
	case jwkset.KtyRSA:
		return nil
	case jwkset.KtyEC:
		switch jwk.CRV {
		case jwkset.CrvP256, jwkset.CrvP384, jwkset.CrvP521:
			return nil
		}
		return fmt.Errorf("crv %q is not a curve tokentop reads (P-256, P-384, P-521)", clip(string(jwk.CRV)))
	case jwkset.KtyOKP:
		if jwk.CRV != jwkset.CrvEd25519 {
			return fmt.Errorf("crv %q is not a signature curve tokentop reads (Ed25519)", clip(string(jwk.CRV)))
		}
		return nil
	case jwkset.KtyOct:
		return errors.New(`kty "oct" is a shared secret, not a public key`)
	case "":
		return errors.New(`no "kty"`)
	}
	return fmt.Errorf("kty %q is not a key type tokentop reads (RSA, EC, OKP)", clip(string(jwk.KTY)))
}

// keyMember is a base64url member of a public JWK.
type keyMember struct{ name, value string }

// keyMembers are the members a public key of jwk's kty is made of.
func keyMembers(jwk jwkset.JWKMarshal) []keyMember {
	switch jwk.KTY {
	case jwkset.KtyRSA:
		return []keyMember{{"n", jwk.N}, {"e", jwk.E}}
	case jwkset.KtyEC:
		return []keyMember{{"x", jwk.X}, {"y", jwk.Y}}
	}
	return []keyMember{{"x", jwk.X}}
}

// refusal words why jwkset refused jwk as tokentop words it; a refusal it
// does not know keeps jwkset's words.
func refusal(jwk jwkset.JWKMarshal, err error) error {
	var notBase64 base64.CorruptInputError
	switch {
	case errors.As(err, &notBase64):
		for _, m := range keyMembers(jwk) {
			if _, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(m.value, "=")); err != nil {
				return fmt.Errorf("%q is not base64url", m.name)
			}
		}
	case jwk.KTY == jwkset.KtyEC && errors.Is(err, jwkset.ErrInvalidKey):
		return fmt.Errorf("its point is not on curve %s", jwk.CRV)
	case jwk.KTY == jwkset.KtyRSA && errors.Is(err, jwkset.ErrInvalidKey):
		return errNotExponent
	case jwk.KTY == jwkset.KtyOKP && errors.Is(err, jwkset.ErrKeyUnmarshalParameter):
		return fmt.Errorf(`"x" is not the %d bytes of an Ed25519 key`, ed25519.PublicKeySize)
	}
	why := err.Error()
	for _, prefix := range []string{"failed to unmarshal JSON Web Key: ", "failed to validate JSON Web Key: "} {
		why = strings.TrimPrefix(strings.TrimPrefix(why, prefix), prefix)
	}
	return fmt.Errorf("jwkset refuses it: %s", oneLine(why))
}

// fits says whether the key can check a signature made with alg.
func (k setKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			return alg == "ES256"
		case elliptic.P384():
			return alg == "ES384"
		case elliptic.P521():
			return alg == "ES512"
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// kind says what the key is, for a verdict on a key that does not fit.
func (k setKey) kind() string {
	if k.alg != "" {
		return "for alg " + clip(k.alg)
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PublicKey:
		return "an EC " + pub.Curve.Params().Name + " key"
	}
	return "an Ed25519 key"
}

// getKeyDoc GETs a public JSON document (what: "OIDC discovery", "the JWK
// Set") of at most maxKeyDocBytes through client.
func getKeyDoc(ctx context.Context, client *http.Client, timeout time.Duration, u, what string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, describeCallError(ctx, timeout, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeyDocBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", what, describeCallError(ctx, timeout, err))
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: %s answered %s", what, redactURL(req.URL), resp.Status)
	case len(body) > maxKeyDocBytes:
		return nil, fmt.Errorf("%s: the document at %s is larger than %d KiB", what, redactURL(req.URL), maxKeyDocBytes>>10)
	}
	return body, nil
}

// discoverJWKS reads jwks_uri from the OIDC discovery document of issuerURL.
func discoverJWKS(ctx context.Context, client *http.Client, timeout time.Duration, issuerURL string) (string, error) {
	u := strings.TrimRight(issuerURL, "/")
	if !strings.HasSuffix(u, "/.well-known/openid-configuration") {
		u += "/.well-known/openid-configuration"
	}
	body, err := getKeyDoc(ctx, client, timeout, u, "OIDC discovery")
	if err != nil {
		return "", err
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("OIDC discovery: the document at %s is not JSON (%s)", redactedKeyURL(u), shapeOf(body, ""))
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("OIDC discovery: the document at %s has no jwks_uri", redactedKeyURL(u))
	}
	if err := checkKeyURL(doc.JWKSURI); err != nil {
		return "", fmt.Errorf("OIDC discovery: jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}

// fetchJWKS GETs and reads the JWK Set at u.
func fetchJWKS(ctx context.Context, client *http.Client, timeout time.Duration, u string) (*jwks, error) {
	body, err := getKeyDoc(ctx, client, timeout, u, "the JWK Set")
	if err != nil {
		return nil, err
	}
	set, err := readJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("the JWK Set: the document at %s %w", redactedKeyURL(u), err)
	}
	return set, nil
}

// redactedKeyURL is u without user info, query or fragment.
func redactedKeyURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return redactURL(p)
}
