package fakeissuer

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// adminGuard decides who may use the admin routes, which change what every
// client of the issuer sees. It refuses, in this order:
//   - a Host that is not a loopback name (localhost, 127.0.0.1, [::1]) or one
//     of hosts: a web page that rebinds its own DNS name to 127.0.0.1 sends
//     its own name;
//   - a browser request from another origin (Origin, Sec-Fetch-Site);
//   - without the bearer token, when one is set;
//   - a POST whose body is not declared application/json: an HTML form or
//     a "simple" cross-origin fetch cannot send that type.
//
// The zero guard accepts loopback names only and needs no token.
type adminGuard struct {
	hosts  []string           // lower-case host names accepted besides loopback names
	origin string             // an origin accepted besides the request's own (the public URL's)
	token  *[sha256.Size]byte // digest of the required bearer token; nil when none is set
}

// guardAdmin wraps an admin route: the request must pass the guard of the
// site it came to.
func guardAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, code, msg := siteOf(r).guard.refuse(r); status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`-admin"`)
			}
			writeError(w, status, code, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuse returns a zero status if r may use the admin routes, else the
// status, code and message of the refusal.
func (g adminGuard) refuse(r *http.Request) (status int, code, msg string) {
	if !g.allowsHost(hostName(r.Host)) {
		return http.StatusForbidden, "HostNotAllowed", fmt.Sprintf(
			"the admin API answers only requests addressed to localhost, 127.0.0.1, [::1], the listen address or the public URL; Host %.100q is none of them", r.Host)
	}
	if origin, ok := r.Header["Origin"]; ok && (len(origin) != 1 || !g.allowsOrigin(r, origin[0])) {
		return http.StatusForbidden, "CrossOriginRefused", fmt.Sprintf(
			"the admin API refuses requests from web pages of other origins (Origin %.100q)", strings.Join(origin, ", "))
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return http.StatusForbidden, "CrossOriginRefused", fmt.Sprintf(
			"the admin API refuses requests from web pages of other origins (Sec-Fetch-Site %.20q)", site)
	}
	if g.token != nil {
		tok, ok := bearerToken(r)
		if !ok {
			return http.StatusUnauthorized, "AdminTokenRequired", "the admin API needs the admin token: send Authorization: Bearer <token>"
		}
		sum := sha256.Sum256([]byte(tok)) // equal lengths: the comparison leaks nothing about the token's
		if subtle.ConstantTimeCompare(sum[:], g.token[:]) != 1 {
			return http.StatusUnauthorized, "InvalidAdminToken", "the admin token is wrong"
		}
	}
	if r.Method == http.MethodPost {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			return http.StatusUnsupportedMediaType, "UnsupportedMediaType", fmt.Sprintf(
				"send the admin request body as Content-Type: application/json (curl: -H 'Content-Type: application/json'), not %.60q", r.Header.Get("Content-Type"))
		}
	}
	return 0, "", ""
}

// allowsHost reports whether host (from hostName) names this server.
func (g adminGuard) allowsHost(host string) bool {
	return isLoopbackName(host) || slices.Contains(g.hosts, host)
}

// allowsOrigin reports whether origin is the request's own (scheme and
// Host) or the public URL's.
func (g adminGuard) allowsOrigin(r *http.Request, origin string) bool {
	return strings.EqualFold(origin, requestScheme(r)+"://"+r.Host) || (g.origin != "" && strings.EqualFold(origin, g.origin))
}

// hostName is the lower-case host name of a Host header or URL host, without
// port or IPv6 brackets.
func hostName(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		hostport = h
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"))
}

// isLoopbackName reports whether host is localhost or a loopback IP literal.
func isLoopbackName(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// requestScheme is the scheme the request came over.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
