package fakeissuer

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ACS HMAC-SHA256 request authentication, as the client libraries sign:
//
//	x-ms-date:           Sun, 22 Nov 2026 12:50:23 GMT (RFC 1123)
//	x-ms-content-sha256: base64(SHA-256(body))
//	Authorization:       HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<sig>
//
// where sig is base64(HMAC-SHA256(key, VERB + "\n" + PATH_AND_QUERY + "\n" +
// the signed headers' values joined by ";")) and key is the decoded access
// key. Older clients sign the Date header instead of x-ms-date.

// acsAuthScheme is the Authorization scheme of a signed request.
const acsAuthScheme = "HMAC-SHA256"

// requireACSSignature checks a request's HMAC-SHA256 signature and body hash
// and answers 401 Denied if they are wrong; the body stays readable for next.
func (i *Issuer) requireACSSignature(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if mbe, ok := errorsAs[*http.MaxBytesError](err); ok {
				writeError(w, http.StatusRequestEntityTooLarge, "RequestTooLarge", fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit))
				return
			}
			writeError(w, http.StatusBadRequest, "InvalidRequestBody", "the request body could not be read: "+err.Error())
			return
		}
		if msg := i.acs.checkSignature(r, body); msg != "" {
			i.countFailure("")
			writeError(w, http.StatusUnauthorized, "Denied", msg)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r)
	}
}

// checkSignature returns why r's signature is refused, or "" if it is good.
func (s *acsService) checkSignature(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "the request has no Authorization header; sign it with HMAC-SHA256 and the connection string's access key, as the ACS client libraries do"
	}
	scheme, params, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, acsAuthScheme) {
		return fmt.Sprintf("the Authorization scheme %q is not %s; sign the request with the connection string's access key", scheme, acsAuthScheme)
	}
	signedHeaders, signature, msg := parseACSAuthParams(params)
	if msg != "" {
		return msg
	}
	values := make([]string, len(signedHeaders))
	for n, name := range signedHeaders {
		if name == "host" {
			values[n] = r.Host
			continue
		}
		v := r.Header.Values(name)
		if len(v) != 1 || v[0] == "" {
			return fmt.Sprintf("the signed header %s is missing or repeated; send it once", name)
		}
		values[n] = v[0]
	}
	dateHeader := "x-ms-date"
	if !slices.Contains(signedHeaders, dateHeader) {
		dateHeader = "date"
	}
	if msg := s.checkDate(dateHeader, r.Header.Get(dateHeader)); msg != "" {
		return msg
	}
	sum := sha256.Sum256(body)
	if got, want := r.Header.Get("x-ms-content-sha256"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return fmt.Sprintf("Request 'x-ms-content-sha256' differs from generated content hash: the header is %q, the body's base64 SHA-256 is %q", got, want)
	}
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(r.Method + "\n" + signedPathAndQuery(r) + "\n" + strings.Join(values, ";")))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(signature), []byte(want)) != 1 {
		return "the HMAC-SHA256 signature does not match; check the access key, and that the string to sign is " +
			`VERB\nPATH_AND_QUERY\nDATE;HOST;CONTENT_HASH with the host (and port) and the path and query exactly as sent`
	}
	return ""
}

// parseACSAuthParams reads "SignedHeaders=a;b;c&Signature=sig". The signed
// headers must include host, x-ms-content-sha256 and a date (x-ms-date or
// Date); names are returned in lower case, in the signed order.
func parseACSAuthParams(params string) (signedHeaders []string, signature, msg string) {
	var haveHeaders, haveSignature bool
	for _, p := range strings.Split(strings.TrimSpace(params), "&") {
		name, value, _ := strings.Cut(p, "=")
		switch {
		case strings.EqualFold(name, "SignedHeaders") && !haveHeaders:
			haveHeaders = true
			for _, h := range strings.Split(value, ";") {
				signedHeaders = append(signedHeaders, strings.ToLower(strings.TrimSpace(h)))
			}
		case strings.EqualFold(name, "Signature") && !haveSignature:
			haveSignature = true
			signature = value
		default:
			return nil, "", fmt.Sprintf("the Authorization parameter %q is unknown or repeated; send SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=BASE64", name)
		}
	}
	if !haveHeaders || !haveSignature || signature == "" {
		return nil, "", "the Authorization header lacks SignedHeaders or Signature; send SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=BASE64"
	}
	hasDate := slices.Contains(signedHeaders, "x-ms-date") || slices.Contains(signedHeaders, "date")
	if !hasDate || !slices.Contains(signedHeaders, "host") || !slices.Contains(signedHeaders, "x-ms-content-sha256") {
		return nil, "", fmt.Sprintf("SignedHeaders %q must include x-ms-date (or date), host and x-ms-content-sha256", strings.Join(signedHeaders, ";"))
	}
	return signedHeaders, signature, ""
}

// checkDate refuses a signed date (header name, value raw) that is not RFC
// 1123 or is more than MaxACSClockSkew away from now.
func (s *acsService) checkDate(name, raw string) string {
	at, err := http.ParseTime(raw)
	if err != nil {
		return fmt.Sprintf("%s %q is not an RFC 1123 date like %q", name, raw, http.TimeFormat)
	}
	now := s.now()
	if skew := now.Sub(at); skew > MaxACSClockSkew || skew < -MaxACSClockSkew {
		return fmt.Sprintf("%s %s is %v away from the server's time %s; requests must be dated within %v (check the client's clock)",
			name, raw, skew.Abs().Round(time.Second), now.UTC().Format(http.TimeFormat), MaxACSClockSkew)
	}
	return ""
}

// signedPathAndQuery is the request target as the client sent it (and so
// signed it): the escaped path and the raw query.
func signedPathAndQuery(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}
