package cli

import (
	"strings"
	"testing"
	"time"

	"tokentop/fakeissuer"
)

// Issue 23, confusion: decode refused what curl returns. It takes an
// issuer's JSON answer and an "Authorization: Bearer" line, and says what a
// JSON object without a token lacks.
func TestDecodeTakesAnIssuersJSONAnswerAndAnAuthorizationLine(t *testing.T) {
	raw := mintAt(t, decodeFake(t, fakeissuer.Options{}), time.Hour)
	_, want, _ := decodeRun(t, decodeAt, raw)
	for _, in := range []string{
		`{"access_token": "` + raw + `", "token_type": "Bearer", "expires_in": 3600}`,
		`{"token": "` + raw + `", "expiresOn": "2026-03-01T13:00:00Z"}`,
		`{"communicationIdentityToken": "` + raw + `"}`,
		`{"identity": {"id": "8:acs:x"}, "accessToken": {"token": "` + raw + `"}}`,
		"Authorization: Bearer " + raw + "\n",
		"authorization:   bearer " + raw,
	} {
		code, stdout, stderr := decodeRun(t, decodeAt, in)
		if code != exitOK || stdout != want || stderr != "" {
			t.Errorf("decode < %.40q...: exit %d, stderr %q, stdout as for the token alone %v; want 0, nothing, true", in, code, stderr, stdout == want)
		}
		wantNoSecret(t, stdout+stderr, raw)
	}
	code, _, stderr := decodeRun(t, decodeAt, `{"expires_in": 3600}`)
	if code != exitUsage || !strings.Contains(stderr, "without a token") || !strings.Contains(stderr, "access_token") {
		t.Errorf("a JSON object without a token: exit %d, %q; want exit 2 naming the keys it looks for", code, stderr)
	}
}

// Issue 23, confusion: an unsigned token (alg "none") decoded like any
// other; decode warns loudly, on stderr so that --json stays one object.
func TestDecodeWarnsLoudlyOnAlgNone(t *testing.T) {
	raw := unsignedJWT(`{"alg":"none","typ":"JWT"}`, `{"sub":"a","exp":1900000000}`)
	raw = raw[:strings.LastIndex(raw, ".")+1]
	for _, args := range [][]string{nil, {"--json"}} {
		code, stdout, stderr := decodeRun(t, decodeAt, raw, args...)
		if code != exitOK || !strings.Contains(stderr, "WARNING") || !strings.Contains(stderr, "NOT SIGNED") || strings.Contains(stdout, "WARNING") {
			t.Errorf("decode %q of an alg none token: exit %d, stderr %q; want 0 and a warning on stderr only", args, code, stderr)
		}
	}
	if _, _, stderr := decodeRun(t, decodeAt, unsignedJWT(`{"alg":"ES256"}`, `{"sub":"a"}`)); strings.Contains(stderr, "WARNING") {
		t.Errorf("a signed token's decode warns: %q", stderr)
	}
}
