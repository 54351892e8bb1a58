package scenario

import (
	"fmt"
	"strings"
	"testing"
)

// Issue 23, bug 2: --session lifetime= is range-checked as the screen's
// form n does, with the same message (both say it through CheckRange): a
// lifetime the fake refuses, or one too short to refresh, made every
// issuer call fail.
func TestSessionFlagLifetimeIsRangeCheckedAsTheFormIs(t *testing.T) {
	for v, want := range map[string]string{
		"9000h": "lifetime 9000h is out of range: use 1m to 8784h (366 days)",
		"1s":    "lifetime 1s is out of range: use 1m to 8784h (366 days)",
	} {
		_, err := ParseSessionFlags("name=a,lifetime="+v, "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--session name=a,lifetime=%s: %v; want an error saying %q", v, err, want)
		}
	}
	for _, v := range []string{"1m", "8784h", "90m"} {
		if _, err := ParseSessionFlags("name=a,lifetime="+v, ""); err != nil {
			t.Errorf("--session name=a,lifetime=%s: %v; want it taken", v, err)
		}
	}
}

// Issue 23, item 6: --session count=N declares N sessions as a file's count
// does, so a thousand sessions need no file; a bad count is refused.
func TestSessionFlagCountMakesNumberedCopies(t *testing.T) {
	specs, err := ParseSessionFlags("name=load,identity=user,count=3,callers=2", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range specs {
		got = append(got, s.Name+"/"+s.Identity+fmt.Sprintf("/%d", s.Callers))
	}
	if fmt.Sprint(got) != "[load-1/user-1/2 load-2/user-2/2 load-3/user-3/2]" {
		t.Errorf("count=3: %v; want load-1..3 for user-1..3, 2 callers each", got)
	}
	if specs, err := ParseSessionFlags("name=load,count=1000", ""); err != nil || len(specs) != 1000 {
		t.Errorf("count=1000: %d sessions, %v; want 1000", len(specs), err)
	}
	for v, want := range map[string]string{
		"name=a,count=0":               "count=0: want 1 to 100000",
		"name=a,count=many":            `count="many": want N`,
		"name=a,count=100001":          "count=100001: want 1 to 100000",
		"name=a,count=20000,callers=6": "over the limit of 100000 simulated callers",
	} {
		if _, err := ParseSessionFlags(v, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--session %s: %v; want an error saying %q", v, err, want)
		}
	}
	if _, err := ParseSessionFlag("name=a,count=2", ""); err == nil {
		t.Error("ParseSessionFlag took count=2; it returns one session")
	}
}

// Issue 23, bug 7: a sign-out step of an identity no session has is refused
// when the file loads, as a burst of an unknown session is (it was caught
// only when the step ran, and the run exited 0 without a sign-out).
func TestSignOutOfAnUnknownIdentityIsRefusedAtLoad(t *testing.T) {
	const sessions = `"sessions": [{"name": "a", "identity": "alice"}, {"name": "load", "identity": "user", "count": 2}]`
	_, err := ParseScenario("s.json", []byte(`{`+sessions+`,
		"timeline": [{"at": "1m", "action": "sign-out", "identity": "nobody"}]}`))
	want := `s.json:2: timeline[0].identity: "nobody" is not the identity of a session of this scenario`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("sign-out of nobody: %v; want %q", err, want)
	}
	for _, id := range []string{"alice", "user-2"} {
		if _, err := ParseScenario("s.json", []byte(`{`+sessions+`, "timeline": [{"at": "1m", "action": "sign-out", "identity": "`+id+`"}]}`)); err != nil {
			t.Errorf("sign-out of %s: %v; want it taken", id, err)
		}
	}
}

// Issue 23, bug 8: a session may name its resource check's URL; tokens go
// only over https or to a loopback host, in a file as with --session.
func TestResourceURLIsHTTPSOrLoopback(t *testing.T) {
	for _, u := range []string{"https://api.example/me", "http://127.0.0.1:8080/api/me", "http://localhost:1/api/me", "http://[::1]:9/x"} {
		if _, err := ParseSessionFlags("name=a,resource,resource_url="+u, ""); err != nil {
			t.Errorf("resource_url=%s: %v; want it taken", u, err)
		}
	}
	for u, want := range map[string]string{
		"http://api.example/me":                "would send tokens in the clear",
		"http://10.0.0.1/me":                   "would send tokens in the clear",
		"ftp://127.0.0.1/me":                   "is not an http(s)://HOST/PATH URL",
		"https://user:pw@api.ex/me":            "is not an http(s)://HOST/PATH URL",
		"api.example/me":                       "is not an http(s)://HOST/PATH URL",
		"https://" + strings.Repeat("a", 3000): "over the limit of 2048 bytes",
	} {
		_, err := ParseSessionFlags("name=a,resource,resource_url="+u, "")
		if err == nil || !strings.Contains(err.Error(), "resource_url: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("--session resource_url=%.40s: %v; want an error saying %q", u, err, want)
		}
	}
	_, err := ParseScenario("r.json", []byte(`{"sessions": [{"name": "a", "resource": true, "resource_url": "http://api.example/me"}]}`))
	if err == nil || !strings.Contains(err.Error(), "sessions[0].resource_url: ") {
		t.Errorf("a file's plain-http resource_url: %v; want an error naming sessions[0].resource_url", err)
	}
}
