package fakeissuer

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// fuzzRoutes are the routes that decode a request body.
var fuzzRoutes = []struct {
	path, contentType string
}{
	{PathGetToken, "application/json"},
	{PathGetTokenForTeams, "application/json"},
	{PathAdminFaults, "application/json"},
	{PathAdminRevoke, "application/json"},
	{PathOAuth2Token, "application/x-www-form-urlencoded"},
}

// FuzzRequestDecoding sends arbitrary bodies to every route that decodes one:
// the answer is always a JSON object with a status the route documents,
// never a panic or a 500.
func FuzzRequestDecoding(f *testing.F) {
	seeds := []string{
		`{"username":"alice"}`,
		`{"username":"alice","scopes":["chat","voip"],"expiresInMinutes":60}`,
		`{"username":"8:acs:x_y"}`,
		`{"username":"` + strings.Repeat("é", 40) + `"}`,
		`{"username":null,"scopes":null}`,
		`{"expiresInMinutes":1e309}`,
		`{"expiresInMinutes":-1}`,
		`{"teamsToken":"a.b.c"}`,
		`{"kind":"fail","status":503,"count":2,"retryAfter":"3s"}`,
		`{"kind":"latency","latency":"-1s"}`,
		`{"kind":"down","duration":1e18}`,
		`{"identity":"alice"}`,
		`grant_type=client_credentials&scope=chat+voip&expires_in=60`,
		`grant_type=client_credentials&expires_in=99999999999999999999`,
		`{"username":"a"}{"username":"b"}`,
		`{"username":"a","extra":{}}`,
		`[1,2,3]`,
		`"just a string"`,
		`{`,
		``,
		"\x00\xff\xfe",
		`{"username":"\ud800"}`,
	}
	for n, s := range seeds {
		f.Add(uint8(n), []byte(s))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		iss, _ := newTestIssuer(t, Options{ClientSecret: "pw"}) // fresh: a fuzzed fault cannot leak into the next call
		w := call(iss.Handler(), http.MethodPost, r.path, r.contentType, string(body), "Authorization", "Basic dG9rZW50b3A6cHc=")
		switch w.Code {
		case 200, 201, 400, 401, 404, 413:
		default:
			t.Fatalf("POST %s %q = %d %s", r.path, body, w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("POST %s %q: Content-Type %q", r.path, body, ct)
		}
		var obj map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &obj); err != nil {
			t.Fatalf("POST %s %q: body is not a JSON object: %q", r.path, body, w.Body)
		}
		if w.Code >= 400 && obj["error"] == nil {
			t.Fatalf("POST %s %q = %d without an error field: %s", r.path, body, w.Code, w.Body)
		}
	})
}
