package fakeissuer

import (
	"context"
	"errors"
	"mime"
	"net"
	"net/http"
	"strings"
	"testing"

	"tokentop/issuer"
)

// adminRequests is one request to each admin route, as a local client
// sends it.
var adminRequests = []struct{ method, path, body string }{
	{http.MethodGet, PathAdminFaults, ""},
	{http.MethodPost, PathAdminFaults, `{"kind":"fail","status":503}`},
	{http.MethodDelete, PathAdminFaults, ""},
	{http.MethodDelete, PathAdminFaults + "/1", ""},
	{http.MethodGet, PathAdminStats, ""},
	{http.MethodPost, PathAdminRevoke, `{"identity":"alice"}`},
}

func TestAdminRoutesRefuseCrossOriginRequests(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	h := iss.Handler()
	for _, origin := range [][]string{
		{"Origin", "http://evil.example"},
		{"Origin", "null"},
		{"Origin", "http://127.0.0.1:1"}, // another origin on the same machine
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
	} {
		for _, req := range adminRequests {
			w := call(h, req.method, req.path, "application/json", req.body, origin...)
			if w.Code != http.StatusForbidden || errorCode(t, w.Body.Bytes()) != "CrossOriginRefused" {
				t.Errorf("%s %s with %s %s = %d %s, want 403 CrossOriginRefused", req.method, req.path, origin[0], origin[1], w.Code, w.Body)
			}
		}
	}
	if len(iss.Faults()) != 0 {
		t.Errorf("a cross-origin request injected %v", iss.Faults())
	}
	// The server's own origin, and a browser's typed-in navigation, pass.
	for _, own := range [][]string{{"Origin", "http://127.0.0.1"}, {"Sec-Fetch-Site", "same-origin"}, {"Sec-Fetch-Site", "none"}} {
		if w := call(h, http.MethodGet, PathAdminStats, "", "", own...); w.Code != http.StatusOK {
			t.Errorf("GET %s with %s %s = %d %s, want 200", PathAdminStats, own[0], own[1], w.Code, w.Body)
		}
	}
}

func TestAdminRoutesRefusePostsThatAreNotJSON(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	h := iss.Handler()
	// text/plain, a form and multipart are what a page can POST cross-origin
	// without a preflight.
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		for _, path := range []string{PathAdminFaults, PathAdminRevoke} {
			w := call(h, http.MethodPost, path, ct, `{"kind":"fail","status":503}`)
			if w.Code != http.StatusUnsupportedMediaType || errorCode(t, w.Body.Bytes()) != "UnsupportedMediaType" {
				t.Errorf("POST %s as %q = %d %s, want 415", path, ct, w.Code, w.Body)
			}
		}
	}
	if len(iss.Faults()) != 0 {
		t.Errorf("a text/plain POST injected %v", iss.Faults())
	}
	if w := call(h, http.MethodPost, PathAdminFaults, "application/json; charset=utf-8", `{"kind":"fail","status":503}`); w.Code != http.StatusCreated {
		t.Errorf("POST as JSON with a charset = %d %s, want 201", w.Code, w.Body)
	}
}

func TestAdminRoutesRefuseHostNamesThatAreNotThisServer(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	_, _ = iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
	h := iss.Handler()
	for _, host := range []string{"rebind.evil.example", "rebind.evil.example:8080", "localhost.evil.example", "127.0.0.1.evil.example", "10.0.0.1:8080", ""} {
		for _, req := range adminRequests {
			w := call(h, req.method, req.path, "application/json", req.body, "Host", host)
			if w.Code != http.StatusForbidden || errorCode(t, w.Body.Bytes()) != "HostNotAllowed" {
				t.Errorf("%s %s with Host %q = %d %s, want 403 HostNotAllowed", req.method, req.path, host, w.Code, w.Body)
			}
		}
	}
	if st := iss.Stats(); st.Revoked != 0 {
		t.Errorf("a request to a rebound name revoked: %+v", st.Counters)
	}
	for _, host := range []string{"localhost", "LOCALHOST:9999", "127.0.0.1:8080", "127.0.0.2", "[::1]:8080", "[::1]"} {
		if w := call(h, http.MethodGet, PathAdminStats, "", "", "Host", host); w.Code != http.StatusOK {
			t.Errorf("GET %s with Host %q = %d %s, want 200", PathAdminStats, host, w.Code, w.Body)
		}
	}
}

// startServeWith runs ServeWith on a loopback listener until the test ends.
func startServeWith(t *testing.T, iss *Issuer, opts ServeOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- iss.ServeWith(ctx, ln, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := within(t, served, "ServeWith to return"); err != nil {
			t.Errorf("ServeWith: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// do sends a request with a fresh connection and returns its status and
// body; header holds name, value pairs ("Host" sets the Host).
func do(t *testing.T, method, url, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for n := 0; n+1 < len(header); n += 2 {
		if header[n] == "Host" {
			req.Host = header[n+1]
		} else {
			req.Header.Set(header[n], header[n+1])
		}
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, string(readAll(t, resp))
}

func TestAdminRoutesRequireTheAdminTokenWhenSet(t *testing.T) {
	const token = "0123456789abcdef-admin"
	iss, _ := newTestIssuer(t, Options{})
	base := startServeWith(t, iss, ServeOptions{AdminToken: token})
	for _, auth := range []string{"", "Bearer wrong-token-of-some-length", "Basic " + token, "Bearer " + token + "x"} {
		for _, req := range adminRequests {
			status, body := do(t, req.method, base+req.path, req.body, "Authorization", auth)
			if status != http.StatusUnauthorized {
				t.Errorf("%s %s with Authorization %q = %d %s, want 401", req.method, req.path, auth, status, body)
			}
		}
	}
	if len(iss.Faults()) != 0 {
		t.Errorf("a request without the token injected %v", iss.Faults())
	}
	if status, body := do(t, http.MethodPost, base+PathAdminFaults, `{"kind":"hang"}`, "Authorization", "Bearer "+token); status != http.StatusCreated {
		t.Errorf("POST with the token = %d %s, want 201", status, body)
	}
	// The token guards the admin API only.
	if status, body := do(t, http.MethodGet, base+PathJWKS, ""); status != http.StatusOK {
		t.Errorf("GET %s without the token = %d %s", PathJWKS, status, body)
	}
}

// addrListener is a loopback listener that claims another address.
type addrListener struct {
	net.Listener
	addr net.Addr
}

func (l addrListener) Addr() net.Addr { return l.addr }

func TestServeRefusesAListenerBeyondLoopbackWithoutAnAdminToken(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wide := addrListener{ln, &net.TCPAddr{IP: net.IPv4zero, Port: 8080}}
	stopped, stop := context.WithCancel(context.Background())
	stop() // should it serve after all, it stops at once
	err = iss.ServeWith(stopped, wide, ServeOptions{})
	if !errors.Is(err, ErrAdminTokenRequired) || !strings.Contains(err.Error(), "0.0.0.0:8080") {
		t.Errorf("ServeWith on 0.0.0.0 without a token = %v, want ErrAdminTokenRequired naming the address", err)
	}
	if _, err := ln.Accept(); err == nil {
		t.Error("the refused listener was left open")
	}
	for _, addr := range []net.Addr{&net.TCPAddr{IP: net.IPv6unspecified}, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1)}} {
		if err := (ServeOptions{}).Check(addr); !errors.Is(err, ErrAdminTokenRequired) {
			t.Errorf("Check(%v) without a token = %v", addr, err)
		}
		if err := (ServeOptions{AdminToken: "0123456789abcdef"}).Check(addr); err != nil {
			t.Errorf("Check(%v) with a token = %v", addr, err)
		}
	}
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	for _, bad := range []ServeOptions{
		{AdminToken: "short"},
		{AdminToken: "has a space in the middle"},
		{AdminToken: "0123456789abcdef\n"},
		{PublicURL: "ftp://issuer.example"},
		{PublicURL: "http://issuer.example/prefix"},
		{PublicURL: "http://user:pw@issuer.example"},
		{PublicURL: "issuer.example:8080"},
		{PublicURL: "http://issuer.example?x=1"},
	} {
		if err := bad.Check(loopback); err == nil {
			t.Errorf("Check(%+v) = nil, want an error", bad)
		}
	}
}

func TestDiscoveryUsesTheListenAddressNotTheHostHeader(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	base := startServeWith(t, iss, ServeOptions{})
	_, body := do(t, http.MethodGet, base+PathOpenIDConfig, "", "Host", "rebind.evil.example")
	if !strings.Contains(body, `"token_endpoint":"`+base+PathOAuth2Token+`"`) || strings.Contains(body, "evil") {
		t.Errorf("discovery with Host rebind.evil.example = %s, want endpoints at %s", body, base)
	}
	// Without Serve's site (Handler in httptest), only a loopback Host is trusted.
	if w := call(iss.Handler(), http.MethodGet, PathOpenIDConfig, "", "", "Host", "rebind.evil.example"); w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "token_endpoint") {
		t.Errorf("Handler's discovery with a foreign Host = %d %s, want 403", w.Code, w.Body)
	}
}

func TestPublicURLIsWhereDiscoveryPointsAndAnAdminHost(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	base := startServeWith(t, iss, ServeOptions{PublicURL: "https://Issuer.Example:8443/"})
	_, body := do(t, http.MethodGet, base+PathOpenIDConfig, "")
	for _, want := range []string{`"token_endpoint":"https://issuer.example:8443/oauth2/token"`, `"authorization_endpoint":"https://issuer.example:8443/oauth2/authorize"`} {
		if !strings.Contains(body, want) {
			t.Errorf("discovery = %s, want %s", body, want)
		}
	}
	// A proxy that terminates TLS passes the public host and the browser's origin.
	if status, body := do(t, http.MethodGet, base+PathAdminStats, "", "Host", "issuer.example:8443", "Origin", "https://issuer.example:8443"); status != http.StatusOK {
		t.Errorf("admin via the public host = %d %s, want 200", status, body)
	}
	if status, _ := do(t, http.MethodGet, base+PathAdminStats, "", "Host", "other.example"); status != http.StatusForbidden {
		t.Errorf("admin via another host = %d, want 403", status)
	}
}

// FuzzAdminGuard sends arbitrary Host, Origin, Content-Type and
// Authorization values to the guard: it never panics, explains every
// refusal, and lets a request through only if it names this server, comes
// from no other origin, carries the token and declares JSON.
func FuzzAdminGuard(f *testing.F) {
	const token = "0123456789abcdef"
	f.Add("127.0.0.1:8080", "", "application/json", "Bearer "+token)
	f.Add("rebind.evil.example", "http://evil.example", "text/plain", "")
	f.Add("[::1]", "http://[::1]", "application/json; charset=utf-8", "bearer "+token)
	f.Add("localhost.", "null", "", "Bearer ")
	f.Add("issuer.example:443", "http://issuer.example:443", "application/json", "Bearer  "+token+" ")
	f.Add("[::ffff:127.0.0.1]:80", "", "APPLICATION/JSON", "Bearer "+token)
	f.Add("127.0.0.1:80:80", "", "application/json", "Bearer "+token)
	opts := ServeOptions{PublicURL: "https://issuer.example", AdminToken: token}
	s, err := opts.site(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, host, origin, contentType, auth string) {
		r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1"+PathAdminFaults, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("Authorization", auth)
		status, code, msg := s.guard.refuse(r)
		if status != 0 {
			if code == "" || msg == "" {
				t.Fatalf("refused %d without a code or message", status)
			}
			return
		}
		name := hostName(host)
		if !isLoopbackName(name) && name != "issuer.example" {
			t.Fatalf("accepted Host %q", host)
		}
		if origin != "" && !strings.EqualFold(origin, "http://"+host) && !strings.EqualFold(origin, "https://issuer.example") {
			t.Fatalf("accepted Origin %q with Host %q", origin, host)
		}
		if tok, _ := bearerToken(r); tok != token {
			t.Fatalf("accepted Authorization %q", auth)
		}
		if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/json" {
			t.Fatalf("accepted Content-Type %q", contentType)
		}
	})
}
