package fakeissuer

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/credential"
	"tokentop/issuer"
)

// Claims are the claims of a token minted by the issuer.
type Claims struct {
	jwt.RegisteredClaims
	// Scopes are the granted scopes (scp).
	Scopes []string `json:"scp,omitempty"`
	// AppID is the OAuth2 client id of an upstream (Teams / Entra style) token.
	AppID string `json:"appid,omitempty"`
	// ObjectID is the user object id of an upstream token.
	ObjectID string `json:"oid,omitempty"`
	// TenantID is the tenant of an upstream token.
	TenantID string `json:"tid,omitempty"`
	// NominalLifetime is, from an issuer with Options.Warp, the lifetime
	// the token stands for, in seconds: exp - iat times the warp.
	NominalLifetime int64 `json:"ttl_nominal,omitempty"`
}

// ClaimNominalLifetime is the claim of Claims.NominalLifetime.
const ClaimNominalLifetime = "ttl_nominal"

// mintSpec says what to mint.
type mintSpec struct {
	subject   string
	scopes    []string
	lifetime  time.Duration
	expiresAt time.Time // when set, the exact expiry instead of now+lifetime
	audience  string
	expired   bool // mint a token that is already expired (a fault)
	appID     string
	objectID  string
	tenantID  string
	// delay, when set, gets the call's injected latency and hang instead of
	// the call waiting (the Simulated calls).
	delay *issuer.Delay
}

// mint signs a token for st on the issuer's clock. iat, nbf and exp are
// whole seconds, so exp - iat is exactly the lifetime asked for, divided by
// the warp if any (Options.Warp).
func (i *Issuer) mint(spec mintSpec, st *identityState) (credential.AccessToken, Claims, error) {
	iat := i.clock.Now().Truncate(time.Second)
	exp := iat.Add(i.WarpLifetime(spec.lifetime))
	nominal := spec.lifetime
	if !spec.expiresAt.IsZero() {
		// Another token's expiry, already warped: nominally, the time it
		// has left.
		exp = spec.expiresAt.Truncate(time.Second)
		nominal = time.Duration(float64(exp.Sub(iat)) * i.warp)
	}
	if spec.expired {
		life := exp.Sub(iat)
		exp = iat.Add(-time.Minute)
		iat = exp.Add(-life)
	}
	scopes := spec.scopes
	if len(scopes) == 0 {
		scopes = defaultScopes
	}
	// The sequence number is taken under the identity's lock, where
	// DeleteIdentity and Revoke record theirs: a token is either numbered
	// before a deletion (and revoked by it) or refused.
	st.mu.Lock()
	if err := st.goneLocked(); err != nil {
		st.mu.Unlock()
		return credential.AccessToken{}, Claims{}, err
	}
	seq := i.seq.Add(1)
	st.mu.Unlock()
	// One allocation for the three date claims (nbf and iat share one,
	// truncated as jwt.NewNumericDate does), the audience and a few scopes.
	b := &claimsBacking{dates: [2]jwt.NumericDate{{Time: exp.Truncate(jwt.TimePrecision)}, {Time: iat.Truncate(jwt.TimePrecision)}}}
	b.aud[0] = spec.audience
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuerURL,
			Subject:   spec.subject,
			Audience:  b.aud[:],
			ExpiresAt: &b.dates[0],
			NotBefore: &b.dates[1],
			IssuedAt:  &b.dates[1],
			ID:        tokenID(seq),
		},
		Scopes:   b.copyScopes(scopes),
		AppID:    spec.appID,
		ObjectID: spec.objectID,
		TenantID: spec.tenantID,
	}
	if i.warp != 1 {
		claims.NominalLifetime = int64(nominal / time.Second)
	}
	raw, err := i.key.signClaims(&claims)
	if err != nil {
		return credential.AccessToken{}, Claims{}, &StatusError{Status: 500, Code: "SigningFailed",
			Message: fmt.Sprintf("could not sign the token: %v", err), Err: err}
	}
	return credential.AccessToken{Token: raw, ExpiresOn: exp, Minted: true}, claims, nil
}

// claimsBacking holds what a token's Claims point to, so that a mint
// allocates it once rather than once a claim.
type claimsBacking struct {
	dates [2]jwt.NumericDate // exp, then nbf and iat
	aud   [1]string
	scp   [4]string
}

// copyScopes copies scopes, into b when they fit: the Claims returned own
// their scopes, whoever holds the slice asked for.
func (b *claimsBacking) copyScopes(scopes []string) []string {
	if len(scopes) <= len(b.scp) {
		n := copy(b.scp[:], scopes)
		return b.scp[:n:n]
	}
	return append([]string(nil), scopes...)
}

// tokenID is a token's jti: its sequence number, then 16 random hex digits
// (from math/rand: a jti needs to be unique, which the sequence makes it,
// not secret).
func tokenID(seq uint64) string {
	var b [37]byte
	id := strconv.AppendUint(b[:0], seq, 10)
	id = append(id, '.')
	var r [8]byte
	binary.LittleEndian.PutUint64(r[:], mrand.Uint64())
	return string(hex.AppendEncode(id, r[:]))
}

// WarpLifetime returns how long a token asked to live d lives: d divided
// by Options.Warp, in whole seconds rounded up and at least one; d itself
// without a warp.
func (i *Issuer) WarpLifetime(d time.Duration) time.Duration {
	if i.warp == 1 {
		return d
	}
	secs := math.Ceil(d.Seconds() / i.warp)
	return time.Duration(max(secs, 1)) * time.Second
}

// signClaims returns the signed JWT of claims. It writes the same bytes as
// jwt.NewWithClaims(method, claims) with a kid header and SignedString, but
// builds the JSON by appending instead of by reflection, which was a tenth
// of the cost of minting.
func (k *signingKey) signClaims(c *Claims) (string, error) {
	scratch, _ := k.buffers.Get().(*[2][]byte)
	if scratch == nil {
		scratch = &[2][]byte{make([]byte, 0, 512), make([]byte, 0, 1024)}
	}
	defer k.buffers.Put(scratch)
	body := appendClaimsJSON(scratch[0][:0], c)
	enc := base64.RawURLEncoding
	buf := append(scratch[1][:0], k.header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, body)
	if k.hmac != nil {
		buf = k.hmac.appendSignature(buf)
		scratch[0], scratch[1] = body, buf // keep what grew
		return string(buf), nil
	}
	if key, ok := k.sign.(*ecdsa.PrivateKey); ok && k.alg == AlgES256 {
		signed, err := appendES256Signature(buf, key)
		if err != nil {
			return "", err
		}
		scratch[0], scratch[1] = body, signed
		return string(signed), nil
	}
	scratch[0], scratch[1] = body, buf
	signing := string(buf)
	sig, err := k.method.Sign(signing, k.sign)
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// appendClaimsJSON appends c as encoding/json marshals it: the fields in
// struct order, omitempty honoured, dates in whole seconds, strings escaped
// alike (HTML characters included).
func appendClaimsJSON(b []byte, c *Claims) []byte {
	o := jsonObject{b: append(b, '{')}
	o.str("iss", c.Issuer)
	o.str("sub", c.Subject)
	o.strs("aud", c.Audience)
	o.date("exp", c.ExpiresAt)
	o.date("nbf", c.NotBefore)
	o.date("iat", c.IssuedAt)
	o.str("jti", c.ID)
	o.strs("scp", c.Scopes)
	o.str("appid", c.AppID)
	o.str("oid", c.ObjectID)
	o.str("tid", c.TenantID)
	if c.NominalLifetime != 0 {
		o.key(ClaimNominalLifetime)
		o.b = strconv.AppendInt(o.b, c.NominalLifetime, 10)
	}
	return append(o.b, '}')
}

// jsonObject appends the members of a JSON object, each omitted when empty.
type jsonObject struct {
	b     []byte
	count int
}

func (o *jsonObject) key(k string) {
	if o.count > 0 {
		o.b = append(o.b, ',')
	}
	o.count++
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *jsonObject) str(k, v string) {
	if v != "" {
		o.key(k)
		o.b = appendJSONString(o.b, v)
	}
}

// strs writes a list as an array, also of one element, as ClaimStrings does
// with jwt.MarshalSingleStringAsArray (its default).
func (o *jsonObject) strs(k string, v []string) {
	if len(v) == 0 {
		return
	}
	o.key(k)
	o.b = append(o.b, '[')
	for n, s := range v {
		if n > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendJSONString(o.b, s)
	}
	o.b = append(o.b, ']')
}

// date writes a NumericDate in whole seconds, as jwt.TimePrecision (its
// default) has it: Unix drops the fraction as Truncate(time.Second) would.
func (o *jsonObject) date(k string, d *jwt.NumericDate) {
	if d != nil {
		o.key(k)
		o.b = strconv.AppendInt(o.b, d.Unix(), 10)
	}
}

// appendJSONString appends s as a JSON string the way encoding/json does:
// control characters, quote and backslash escaped, <, > and & as \u003c,
// \u003e and \u0026, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for n := 0; n < len(s); {
		c := s[n]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				n++
				continue
			}
			b = append(b, s[start:n]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			n++
			start = n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[n:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:n]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:n]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			n += size
			continue
		}
		n += size
		start = n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// tokenSeq reads the sequence number the issuer put in a token's jti; ok is
// false for a jti this issuer did not mint.
func tokenSeq(jti string) (uint64, bool) {
	head, _, found := strings.Cut(jti, ".")
	if !found {
		return 0, false
	}
	n, err := strconv.ParseUint(head, 10, 64)
	return n, err == nil
}
