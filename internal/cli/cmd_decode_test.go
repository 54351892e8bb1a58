package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/issuer"
)

// decodeAt is the instant the test tokens are minted at.
var decodeAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// decodeFake returns a fake issuer whose clock stands at decodeAt.
func decodeFake(t *testing.T, opts fakeissuer.Options) *fakeissuer.Issuer {
	t.Helper()
	opts.Clock = clock.NewSim(decodeAt) // stands still: nothing runs its loop
	iss, err := fakeissuer.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// mintAt issues alice a token of lifetime at decodeAt.
func mintAt(t *testing.T, iss *fakeissuer.Issuer, lifetime time.Duration) string {
	t.Helper()
	tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Lifetime: lifetime})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// decodeRun runs `tokentop decode args` on stdin at now.
func decodeRun(t *testing.T, now time.Time, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runDecodeContext(context.Background(), args, strings.NewReader(stdin), func() time.Time { return now }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// wantNoSecret fails if out shows the token or its signature segment.
func wantNoSecret(t *testing.T, out, raw string) {
	t.Helper()
	sig := raw[strings.LastIndex(raw, ".")+1:]
	if strings.Contains(out, raw) || strings.Contains(out, sig) {
		t.Errorf("the output shows the token or its signature:\n%s", out)
	}
}

func TestDecodeTextShowsHeaderClaimsTimesStateAndFingerprint(t *testing.T) {
	iss := decodeFake(t, fakeissuer.Options{})
	raw := mintAt(t, iss, time.Hour)
	fp := "sha256:" + credential.AccessToken{Token: raw}.Fingerprint()
	for _, tc := range []struct {
		name string
		now  time.Time
		want []string
	}{
		{"valid", decodeAt.Add(2 * time.Second), []string{
			"state      valid: expires in 59m58s (2026-03-01T13:00:00Z)",
			"2026-03-01T12:00:00Z  2s ago", // iat
			"lifetime   1h (exp - iat)",
		}},
		{"expired", decodeAt.Add(time.Hour + 3*time.Minute), []string{"state      expired: expired 3m ago (2026-03-01T13:00:00Z)"}},
		{"not yet valid", decodeAt.Add(-90 * time.Second), []string{"state      not yet valid: valid from 2026-03-01T12:00:00Z (in 1m30s)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := decodeRun(t, tc.now, raw+"\n")
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
			}
			for _, want := range append(tc.want, "token      "+fp+" (JWT, ", `alg  "ES256"`, `kid  "`+iss.KeyID()+`"`,
				`sub  "alice"`, `scp  ["chat","voip"]`, "exp  ", "signature  not checked") {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			wantNoSecret(t, out, raw)
		})
	}
}

func TestDecodeJSONForScripts(t *testing.T) {
	iss := decodeFake(t, fakeissuer.Options{Warp: 60})
	raw := mintAt(t, iss, time.Hour)
	wrapped := "Bearer " + raw[:40] + "\n" + raw[40:] + "\n" // as pasted from a narrow terminal
	code, out, _ := decodeRun(t, decodeAt.Add(10*time.Second), wrapped, "--json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	wantNoSecret(t, out, raw)
	var got struct {
		Fingerprint string            `json:"fingerprint"`
		Header      map[string]string `json:"header"`
		Claims      struct {
			Sub        string `json:"sub"`
			TTLNominal int64  `json:"ttl_nominal"`
		} `json:"claims"`
		Times map[string]struct {
			Unix     int64  `json:"unix"`
			Time     string `json:"time"`
			Relative string `json:"relative"`
		} `json:"times"`
		State     string                 `json:"state"`
		ExpiresIn int64                  `json:"expires_in_seconds"`
		Lifetime  int64                  `json:"lifetime_seconds"`
		Signature *issuer.SignatureCheck `json:"signature"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output is not one JSON object: %v\n%s", err, out)
	}
	exp := got.Times["exp"]
	fp := "sha256:" + credential.AccessToken{Token: raw}.Fingerprint()
	if got.Fingerprint != fp || got.Header["alg"] != "ES256" ||
		got.Claims.Sub != "alice" || got.Claims.TTLNominal != 3600 || got.State != "valid" || got.ExpiresIn != 50 ||
		got.Lifetime != 60 || exp.Time != "2026-03-01T12:01:00Z" || exp.Relative != "in 50s" || exp.Unix != decodeAt.Unix()+60 ||
		got.Signature != nil {
		t.Errorf("--json decoded as %+v", got)
	}
}

// unsignedJWT joins base64url header and payload JSON with a fake signature.
func unsignedJWT(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte("not-a-signature"))
}

func TestDecodeMalformedTokenExitsTwoNamingWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
	}{
		{"empty", "  \n", "stdin holds no token"},
		{"two segments", "abc.def", "a JWT has 3 dot-separated segments, this token has 2"},
		{"bad base64", "e30.!!!.c2ln", "the payload segment is not base64url"},
		{"payload not JSON", unsignedJWT(`{"alg":"ES256"}`, `not json`), "the payload is not a JSON object"},
		{"header an array", unsignedJWT(`[1]`, `{}`), "the header is not a JSON object: got an array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := decodeRun(t, decodeAt, tc.input)
			if code != exitUsage || out != "" || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, one line saying %q", code, out, stderr, tc.want)
			}
			if strings.Contains(stderr, tc.input) && strings.TrimSpace(tc.input) != "" {
				t.Errorf("the error repeats the input: %q", stderr)
			}
		})
	}
}

func TestDecodeReadsAFileWithinALimit(t *testing.T) {
	raw := mintAt(t, decodeFake(t, fakeissuer.Options{}), time.Hour)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(raw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := decodeRun(t, decodeAt, "ignored", "--file", file); code != exitOK || !strings.Contains(out, `sub  "alice"`) {
		t.Errorf("--file: exit %d:\n%s", code, out)
	}
	for _, tc := range []struct{ file, want string }{
		{"/dev/zero", "/dev/zero holds more than 64 KiB"},
		{filepath.Join(t.TempDir(), "missing"), "no such file"},
	} {
		if code, _, stderr := decodeRun(t, decodeAt, "", "--file", tc.file); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("--file %s: exit %d, stderr %q; want 2 saying %q", tc.file, code, stderr, tc.want)
		}
	}
}

func TestDecodeRefusesBadCommandLines(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eyJhbGciOi.x.y"}, "never from the command line"},
		{[]string{"--jwks", "http://a/jwks", "--issuer-url", "http://a"}, "not both"},
		{[]string{"--jwks", "file:///etc/passwd"}, "--jwks: want an http:// or https:// URL"},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
	} {
		code, out, stderr := decodeRun(t, decodeAt, "", tc.args...)
		if code != exitUsage || out != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 saying %q", tc.args, code, out, stderr, tc.want)
		}
	}
	code, out, _ := decodeRun(t, decodeAt, "", "--help")
	if code != exitOK || !strings.Contains(out, "--jwks") || !strings.Contains(out, "never prints the token") {
		t.Errorf("--help: exit %d:\n%s", code, out)
	}
}

// Issue 20, defect 16: a claim centuries away printed "-106751d-23h ago"
// (time.Time.Sub saturates at about 292 years, and negating its minimum
// overflows). Distances beyond a hundred years are said as such, and
// expires_in_seconds is exact.
func TestDecodeSaysDatesCenturiesAwaySensibly(t *testing.T) {
	const year1, year9999 = -62135596800, 253402300799
	raw := unsignedJWT(`{"alg":"HS256"}`, fmt.Sprintf(`{"sub":"bob","exp":%d,"iat":%d,"nbf":%d}`, int64(year1), int64(year9999), int64(year9999)))
	code, out, stderr := decodeRun(t, decodeAt, raw)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"state      expired: expired more than 100 years ago (0001-01-01T00:00:00Z)",
		"9999-12-31T23:59:59Z  in more than 100 years",
		"lifetime   -(more than 100 years) (exp - iat)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "106751d") || strings.Contains(out, "-2562047h") {
		t.Errorf("the output shows a saturated duration:\n%s", out)
	}
	code, out, _ = decodeRun(t, decodeAt, raw, "--json")
	var got struct {
		ExpiresIn int64 `json:"expires_in_seconds"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil {
		t.Fatalf("--json: exit %d, %v:\n%s", code, err, out)
	}
	if want := year1 - decodeAt.Unix(); got.ExpiresIn != want {
		t.Errorf("expires_in_seconds %d; want %d", got.ExpiresIn, want)
	}
	for secs, want := range map[int64]string{0: "0s", 1: "1s", 90: "1m30s", 3*86400 + 4*3600: "3 days 4h", -3600: "-1h",
		maxShownSeconds: "36525 days", maxShownSeconds + 1: "more than 100 years", math.MinInt64: "-(more than 100 years)"} {
		if got := shortDuration(secs); got != want {
			t.Errorf("shortDuration(%d) = %q; want %q", secs, got, want)
		}
	}
}

// A token without exp decodes, with the problem said; a claim meant to
// drive the terminal is shown escaped.
func TestDecodeShowsAMissingExpAndEscapesTerminalControls(t *testing.T) {
	raw := unsignedJWT(`{"alg":"HS256"}`, "{\"sub\":\"bob\u009b31m\",\"k\u202e\":1,\"iat\":1772366400}")
	code, out, stderr := decodeRun(t, decodeAt, raw)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"state      no expiry", `problem    the payload has no "exp" claim`, `"bob\u009b31m"`, `k\u202e`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\u009b\u202e") {
		t.Errorf("the output passes control characters through:\n%q", out)
	}
}

func TestDecodeChecksTheSignatureAgainstAJWKSet(t *testing.T) {
	iss := decodeFake(t, fakeissuer.Options{})
	srv := httptest.NewServer(iss.Handler())
	defer srv.Close()
	other := decodeFake(t, fakeissuer.Options{})
	otherSrv := httptest.NewServer(other.Handler())
	defer otherSrv.Close()
	// The other issuer's key under this issuer's kid: found, and wrong.
	resp, err := http.Get(otherSrv.URL + fakeissuer.PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	otherJWKS, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	forged := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(bytes.ReplaceAll(otherJWKS, []byte(other.KeyID()), []byte(iss.KeyID())))
	}))
	defer forged.Close()

	raw := mintAt(t, iss, time.Hour)
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		state issuer.SignatureState
		want  string
	}{
		{"its JWK Set", []string{"--jwks", srv.URL + fakeissuer.PathJWKS}, exitOK, issuer.SignatureVerified,
			"signature  verified\n"},
		{"OIDC discovery", []string{"--issuer-url", srv.URL}, exitOK, issuer.SignatureVerified, "signature  verified"},
		{"another issuer's keys", []string{"--jwks", otherSrv.URL + fakeissuer.PathJWKS}, exitFailure, issuer.SignatureUnknownKey,
			"signature  unknown key: kid \"" + iss.KeyID() + "\" is not in the key set"},
		{"another key under its kid", []string{"--jwks", forged.URL}, exitFailure, issuer.SignatureInvalid,
			"signature  invalid: the signature does not verify with key \"" + iss.KeyID() + "\""},
		{"no JWK Set there", []string{"--jwks", srv.URL + "/nothing"}, exitFailure, issuer.SignatureNotChecked,
			"signature  not checked: key set unavailable: the JWK Set: " + srv.URL + "/nothing answered 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := decodeRun(t, decodeAt, raw, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d (stderr %q), want %d; output lacks %q:\n%s", code, stderr, tc.code, tc.want, out)
			}
			wantNoSecret(t, out, raw)
			code, out, _ = decodeRun(t, decodeAt, raw, append(tc.args, "--json")...)
			var got struct {
				Signature issuer.SignatureCheck `json:"signature"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil || code != tc.code || got.Signature.State != tc.state || got.Signature.Alg != "ES256" {
				t.Errorf("--json: exit %d, signature %+v (%v); want %d, %q, alg ES256", code, got.Signature, err, tc.code, tc.state)
			}
		})
	}

	hs := decodeFake(t, fakeissuer.Options{Algorithm: "HS256"})
	code, out, _ := decodeRun(t, decodeAt, mintAt(t, hs, time.Hour), "--jwks", srv.URL+fakeissuer.PathJWKS)
	if code != exitFailure || !strings.Contains(out, "signature  not checked: HS256 is signed with a shared secret") {
		t.Errorf("an HS256 token: exit %d:\n%s", code, out)
	}
}

func TestDecodeIsInTheUsage(t *testing.T) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, envOf(), &stdout, io.Discard); code != exitOK {
		t.Fatalf("--help: exit %d", code)
	}
	if !strings.Contains(stdout.String(), "tokentop decode [flags] < FILE") {
		t.Errorf("the usage does not name decode:\n%s", stdout.String())
	}
}

// `tokentop decode` reaches the subcommand: the binary decodes stdin.
func TestDecodeSubcommandOfTheBinary(t *testing.T) {
	raw := mintAt(t, decodeFake(t, fakeissuer.Options{}), time.Hour)
	for _, tc := range []struct {
		stdin string
		code  int
		want  string
	}{
		{raw, exitOK, "state      expired"},
		{"abc", exitUsage, "tokentop decode: malformed token: a JWT has 3 dot-separated segments, this token has 1\n"},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), []string{"decode"}, envOf(), Stdio{In: strings.NewReader(tc.stdin), Out: &stdout, Err: &stderr})
		if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.want) {
			t.Errorf("tokentop decode < %.10q...: exit %d, stdout %q, stderr %q; want %d saying %q", tc.stdin, code, stdout.String(), stderr.String(), tc.code, tc.want)
		}
	}
}

// Issue 20, defect 13: a key of the set that decode cannot read is skipped
// and named; the token still verifies with its own key.
func TestDecodeSkipsKeysItCannotReadAndSaysSo(t *testing.T) {
	iss := decodeFake(t, fakeissuer.Options{})
	rec := httptest.NewRecorder()
	iss.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fakeissuer.PathJWKS, nil))
	set := bytes.Replace(rec.Body.Bytes(), []byte(`"keys":[`), []byte(`"keys":[{"kty":"XYZ","kid":"future"},`), 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(set) }))
	defer srv.Close()
	code, out, stderr := decodeRun(t, decodeAt, mintAt(t, iss, time.Hour), "--jwks", srv.URL)
	want := `signature  verified: skipped 1 key of the set: key "future": kty "XYZ" is not a key type tokentop reads`
	if code != exitOK || !strings.Contains(out, want) {
		t.Errorf("exit %d (stderr %q), want 0; output lacks %q:\n%s", code, stderr, want, out)
	}
}
