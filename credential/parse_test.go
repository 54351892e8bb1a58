package credential

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseJWTReadsExpiryIncludingFractionalSeconds(t *testing.T) {
	for _, tc := range []struct {
		exp  string
		want time.Time
	}{
		{"1700000000", time.Unix(1700000000, 0)},
		{"1700000000.25", time.Unix(1700000000, 250_000_000)},
		{"1.7e9", time.Unix(1700000000, 0)},
		{"32503680000", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		tok, err := ParseJWT(mintJWTClaims(`{"exp":` + tc.exp + `}`))
		if err != nil {
			t.Fatalf("exp %s: %v", tc.exp, err)
		}
		if !tok.ExpiresOn.Equal(tc.want) {
			t.Errorf("exp %s: ExpiresOn = %v, want %v", tc.exp, tok.ExpiresOn, tc.want)
		}
	}
}

func TestParseErrorSaysWhichPartIsWrong(t *testing.T) {
	enc := func(s string) string { return mintJWTClaims(s) }
	good := strings.Split(mintJWTClaims(`{"exp":1}`), ".")
	for _, tc := range []struct {
		name, raw string
		part      TokenPart
		segment   string
		message   string
	}{
		{"empty", "", PartSegments, "", "the token is empty"},
		{"two segments", "a.b", PartSegments, "", "a JWT has 3 dot-separated segments, this token has 2"},
		{"four segments", "a.b.c.d", PartSegments, "", "this token has 4"},
		{"header not base64", "!!." + good[1] + "." + good[2], PartBase64, "header", "the header segment is not base64url"},
		{"payload not base64", good[0] + ".*." + good[2], PartBase64, "payload", "the payload segment is not base64url"},
		{"signature not base64", good[0] + "." + good[1] + ".$", PartBase64, "signature", "the signature segment is not base64url"},
		{"payload not JSON", good[0] + ".bm90IGpzb24." + good[2], PartJSON, "payload", "the payload is not a JSON object"},
		{"payload an array", enc(`[1]`), PartJSON, "payload", "the payload is not a JSON object"},
		{"payload null", enc(`null`), PartJSON, "payload", "the payload is not a JSON object"},
		{"no exp", enc(`{"sub":"x"}`), PartExp, "payload", `the payload has no "exp" claim`},
		{"exp a string", enc(`{"exp":"1700000000"}`), PartExp, "payload", `the "exp" claim is not a number`},
		{"exp null", enc(`{"exp":null}`), PartExp, "payload", `the "exp" claim is not a number`},
		{"exp negative", enc(`{"exp":-5}`), PartExp, "payload", "out of range"},
		{"exp huge", enc(`{"exp":1e300}`), PartExp, "payload", "out of range"},
		{"exp overflows float", enc(`{"exp":1e400}`), PartExp, "payload", `the "exp" claim is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJWT(tc.raw)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Part != tc.part || pe.Segment != tc.segment {
				t.Errorf("Part, Segment = %q, %q; want %q, %q", pe.Part, pe.Segment, tc.part, tc.segment)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "credential: malformed token: ") || !strings.Contains(msg, tc.message) {
				t.Errorf("message %q does not say %q", msg, tc.message)
			}
		})
	}
}

func TestParseErrorNeverContainsTheToken(t *testing.T) {
	raw := mintJWTClaims(`{"sub":"secret-subject"}`)
	_, err := ParseJWT(raw)
	if err == nil || strings.Contains(err.Error(), "secret-subject") || strings.Contains(err.Error(), raw) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseJWTReadsTheLastTopLevelExpAfterUnescapingKeys(t *testing.T) {
	for _, tc := range []struct {
		claims string
		want   int64 // seconds; -1 means an error naming exp
	}{
		{`{"e\u0078p":5}`, 5},
		{`{"exp":1,"exp":2}`, 2},
		{`{"a":{"exp":"x"},"exp":3}`, 3},
		{`{"exp":4,"a":{"exp":"x"},"b":[{"exp":"y"}]}`, 4},
		{`{"exp":{"exp":1}}`, -1},
		{`{"exp":[1]}`, -1},
		{`{"a":[{"exp":1}]}`, -1},
		{`{"ex":1,"expp":2,"EXP":3}`, -1},
	} {
		tok, err := ParseJWT(mintJWTClaims(tc.claims))
		var pe *ParseError
		switch {
		case tc.want < 0 && (!errors.As(err, &pe) || pe.Part != PartExp):
			t.Errorf("%s: err = %v, want a ParseError about exp", tc.claims, err)
		case tc.want >= 0 && (err != nil || !tok.ExpiresOn.Equal(time.Unix(tc.want, 0))):
			t.Errorf("%s: ExpiresOn = %v, err = %v; want %v", tc.claims, tok.ExpiresOn, err, time.Unix(tc.want, 0))
		}
	}
}

func TestParseJWTAcceptsExpUpToTheEndOfYear9999(t *testing.T) {
	tok, err := ParseJWT(mintJWTClaims(`{"exp":253402300799}`))
	if want := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC); err != nil || !tok.ExpiresOn.Equal(want) {
		t.Fatalf("exp 253402300799: ExpiresOn = %v, err = %v; want %v", tok.ExpiresOn, err, want)
	}
	for _, tc := range []struct{ exp, reason string }{
		{"253402300800", `the "exp" claim 253402300800 is out of range (0 to year 9999)`},
		{"1e300", `the "exp" claim 1e300 is out of range (0 to year 9999)`},
		{"-5", `the "exp" claim -5 is out of range (0 to year 9999)`},
		{"-0.000000000000000000000000001", `the "exp" claim -1e-27 is out of range (0 to year 9999)`},
	} {
		_, err := ParseJWT(mintJWTClaims(`{"exp":` + tc.exp + `}`))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Part != PartExp || pe.Reason != tc.reason {
			t.Errorf("exp %s: err = %v; want reason %q", tc.exp, err, tc.reason)
		}
	}
}

func TestParseErrorSaysWhatTheJSONDecoderFound(t *testing.T) {
	deep := func(n int) string { return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}` }
	for _, tc := range []struct{ claims, cause string }{
		{`[1]`, "got an array"},
		{`"x"`, "got a string"},
		{`17`, "got a number"},
		{`false`, "got a boolean"},
		{`null`, "got null"},
		{`{"exp":1,}`, `invalid character '}' looking for beginning of object key string`},
		{`{"exp":-}`, `invalid character '}' in numeric literal`},
		{`{"exp":1`, "unexpected end of JSON input"},
		{`{"exp":"\q"}`, `invalid character 'q' in string escape code`},
		{`{"exp":tru}`, `invalid character '}' in literal true (expecting 'e')`},
		{`{"exp":1}'`, `invalid character '\'' after top-level value`},
		{deep(10001), `invalid character '[' exceeded max depth`},
	} {
		_, err := ParseJWT(mintJWTClaims(tc.claims))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Part != PartJSON || pe.Err == nil || pe.Err.Error() != tc.cause {
			t.Errorf("%.40s: err = %v; want the cause %q", tc.claims, err, tc.cause)
		}
	}
	if _, err := ParseJWT(mintJWTClaims(deep(10000)[:len(deep(10000))-1] + `,"exp":1}`)); err != nil {
		t.Errorf("nesting 10000 deep: %v", err)
	}
}

func TestParseJWTAllocatesNothingForATypicalToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		raw    string
		allocs float64
	}{
		{"minimal", mintJWT(time.Unix(1700000000, 0)), 0},
		{"typical", typicalJWT(), 0},
		// A payload larger than the stack buffer gets one heap buffer.
		{"large", largeJWT(), 1},
	} {
		if got := testing.AllocsPerRun(100, func() { _, _ = ParseJWT(tc.raw) }); got > tc.allocs {
			t.Errorf("%s token: %v allocations per ParseJWT, want at most %v", tc.name, got, tc.allocs)
		}
	}
	// A refresher that gives the expiry makes exp optional (accept).
	noExp := mintJWTClaims(`{"sub":"alice"}`)
	if got := testing.AllocsPerRun(100, func() { _, _ = parseJWT(noExp, false) }); got > 0 {
		t.Errorf("token without exp, exp optional: %v allocations per parseJWT, want 0", got)
	}
}

// typicalJWT is an access token of typical size: about 25 claims (845 bytes),
// nested arrays, an RS256-sized signature.
func typicalJWT() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"nOo3ZDrODXEK1jKWhXslHR_KXEg","typ":"JWT","x5t":"nOo3ZDrODXEK1jKWhXslHR_KXEg"}`)) + "." +
		enc([]byte(`{"aud":"https://management.core.windows.net/","iss":"https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",`+
			`"iat":1700000000,"nbf":1700000000,"exp":1700003600,"acr":"1","aio":"AVQAq/8VAAAA\u002bQ8k1u9\/","amr":["pwd","mfa"],`+
			`"appid":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","appidacr":"0","family_name":"Doe","given_name":"Jane",`+
			`"groups":["a1b2c3d4-0000-0000-0000-000000000001","a1b2c3d4-0000-0000-0000-000000000002"],"ipaddr":"203.0.113.7",`+
			`"name":"Jane Doe","oid":"11111111-2222-3333-4444-555555555555","puid":"10037FFE80000000","rh":"0.AAAA.",`+
			`"scp":"user_impersonation","sub":"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47",`+
			`"unique_name":"jane@example.com","upn":"jane@example.com","uti":"AbCdEfGhIjKlMnOpQrStUv","ver":"1.0",`+
			`"wids":["b79fbf4d-3ef9-4689-8143-76b194e85509"],"xms_tcdt":1600000000}`)) + "." +
		enc([]byte(strings.Repeat("s", 256)))
}

// largeJWT is a token whose payload (about 3 KB: 80 group ids) is larger
// than parseJWT's stack buffer.
func largeJWT() string {
	groups := strings.Repeat(`"a1b2c3d4-0000-0000-0000-000000000001",`, 80)
	return mintJWTClaims(`{"groups":[` + groups[:len(groups)-1] + `],"exp":1700003600}`)
}

// FuzzParseJWT checks that ParseJWT never panics, that every failure is a
// *ParseError naming a known part, and that a success has three segments and
// an expiry in range. The seed corpus runs in every `go test`.
func FuzzParseJWT(f *testing.F) {
	for _, seed := range parseSeeds() {
		f.Add(seed)
		f.Add(mintJWTClaims(seed))
	}
	parts := map[TokenPart]bool{PartSegments: true, PartBase64: true, PartJSON: true, PartExp: true}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := ParseJWT(raw)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !parts[pe.Part] || pe.Reason == "" {
				t.Fatalf("ParseJWT(%q) = %v: want a *ParseError naming a part", raw, err)
			}
			return
		}
		if strings.Count(raw, ".") != 2 || tok.Token != raw {
			t.Fatalf("ParseJWT(%q) accepted a token that is not 3 segments", raw)
		}
		if tok.ExpiresOn.Before(time.Unix(0, 0)) || tok.ExpiresOn.After(time.Unix(maxExp+1, 0)) {
			t.Fatalf("ParseJWT(%q) expiry %v out of range", raw, tok.ExpiresOn)
		}
	})
}

// parseSeeds is the seed corpus of the ParseJWT fuzz targets: whole tokens,
// and JSON texts that the targets also wrap into a token's payload (and
// header). It covers each branch of the JSON scanner, valid and not.
func parseSeeds() []string {
	seeds := []string{
		// Whole tokens.
		"", ".", "..", "a.b.c", "a.b.c.d.e", "!!.x.y",
		mintJWT(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)),
		"eyJhbGciOiJub25lIn0=.eyJleHAiOjF9.",
		"eyJhbGciOiJub25lIn0\n.eyJleHAi\r\nOjF9.c2ln",
		"eyJhbGciOiJub25lIn0.bm90IGpzb24.c2ln",
		// exp values.
		`{"exp":1700000000}`, `{"exp":1700000000.5}`, `{"exp":"x"}`, `{"exp":null}`,
		`{"exp":1e999}`, `{"exp":-1}`, `{"exp":-0}`, `{"exp":-0.5}`, `{"exp":1E+9}`, `{"exp":17e-1}`,
		`{"exp":1e-400}`, `{"exp":0.0000001}`, `{"exp":1e300}`, `{"exp":-1e300}`,
		`{"exp":253402300799}`, `{"exp":253402300799.5}`, `{"exp":253402300800}`,
		`{"exp":300000000000.00000000000000000000001}`,
		`{"exp":true}`, `{"exp":false}`, `{"exp":{}}`, `{"exp":[]}`, `{"exp":[1]}`, `{"exp":{"exp":1}}`,
		// Which member is exp.
		`{}`, `{"sub":"x"}`, `{"e\u0078p":5}`, `{"\u0065\u0078\u0070":6}`, `{"EXP":1}`, `{"exp ":1}`, `{"ex":1}`, `{"":1}`, `{"expp":1}`,
		`{"exp\u0000":1}`, `{"\ud800exp":1}`, "{\"exp\xff\":1}", `{"ex\/p":1}`,
		`{"exp":1,"exp":2}`, `{"exp":1,"exp":null}`, `{"a":{"exp":"x"},"exp":3}`, `{"exp":4,"a":{"exp":"x"}}`,
		`{"a":[{"exp":1}]}`, `{"a":{"b":[{"c":null}]},"exp":42}`, `{"exp":[{"a":1}],"b":2}`,
		// Whitespace and strings.
		` {"exp" : 1 } `, "\t{\n\"exp\"\r:1}\n", "{\"exp\":1}\u00a0",
		`{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00","exp":1}`,
		`{"s":"\u00zz"}`, `{"s":"\u12"}`, `{"s":"\x"}`, "{\"s\":\"a\x01\"}", `{"s":"abc`, `{"s":"\`,
		`{"s":"\u`, "{\"s\":\"\xff\"}", "\xff", "'", `"str"`, `"\u0041"`,
		// Numbers and literals, valid and cut off.
		`123`, `-1`, `0`, `01`, `-`, `-a`, `1.`, `1.e5`, `1e`, `1e+`, `.5`, `+1`, `1.5e-3`, `0e0`,
		`true`, `false`, `null`, `t`, `tru`, `trux`, `fals`, `nul`, `nulll`, `truefalse`,
		`{"exp":01}`, `{"exp":-}`, `{"exp":1.}`, `{"exp":1e}`, `{"exp":tru}`, `{"exp":nul}`, `{"exp":fals}`,
		// Structure.
		`[]`, `[1]`, `[`, `[1`, `[1,`, `[1,]`, `[1 2]`, `[}`, `{`, `{"exp"`, `{"exp":`, `{"exp":1`,
		`{"exp":1,}`, `{"exp":1 2}`, `{"exp"1}`, `{exp:1}`, `{"a":]}`, `{"a":[}`, `{,}`, `{"a":1:}`,
		`{}x`, `{}}`, `{} {}`, `{}]`, ` `, "\n", `[[[[[]]]]]`, `[[[[[]]]]`, `{"a":{"b":{}}}}`,
		`[1,2,[3,{"exp":1}]]`, `{"a":[1,{"b":[true,false,null,"x",-1.5e3]}],"exp":9}`,
	}
	// Past the scanner's first 256 levels of nesting bits, and cut off
	// there. (The depth limit itself is in a test of its own: 20 KB seeds
	// would slow the fuzzer.)
	mixed := `{"a":` + strings.Repeat(`[{"b":`, 300) + `1` + strings.Repeat(`}]`, 300) + `,"exp":7}`
	return append(seeds, typicalJWT(), largeJWT(), mixed, mixed[:len(mixed)-10])
}
