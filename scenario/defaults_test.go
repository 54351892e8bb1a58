package scenario

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"tokentop/credential"
)

// Issue 21, item 6: the policy names were a second, case-sensitive list
// beside credential's; "JS" was refused here and taken by PolicyByName.
func TestPolicyNamesAreCredentialsAndTakenInAnyCase(t *testing.T) {
	var want []string
	for _, p := range credential.Policies() {
		want = append(want, p.Name)
	}
	if got := PolicyNames(); !slices.Equal(got, want) {
		t.Errorf("PolicyNames() = %v; want credential's %v", got, want)
	}
	if DefaultPolicy != credential.DefaultPolicy.Name {
		t.Errorf("DefaultPolicy %q; want credential's default, %q", DefaultPolicy, credential.DefaultPolicy.Name)
	}
	sc, err := ParseScenario("mixed.json", []byte(`{"sessions": [{"name": "a", "policy": "DotNet"}]}`))
	if err != nil {
		t.Fatalf("policy DotNet: %v; want it taken as dotnet", err)
	}
	if got := sc.Sessions[0].WithDefaults().Policy; got != "dotnet" {
		t.Errorf("policy DotNet plays as %q; want dotnet", got)
	}
	spec, err := ParseSessionFlag("name=a,policy=JAVA", "")
	if err != nil || spec.WithDefaults().Policy != "java" {
		t.Errorf("--session policy=JAVA: %+v, %v; want it taken as java", spec, err)
	}
	if err := (Spec{Name: "a", Identity: "a", Policy: "go"}).Validate(); err == nil {
		t.Error("policy go was taken; want an error listing the policies")
	}
}

// Issue 23, bug 3: a scenario file's session and one typed by hand
// (--session, the form n) get one set of defaults: {"name": "a"} is
// --session name=a (it had no callers, on-demand refresh and the issuer's
// 24h tokens, so it did nothing for hours). A file still says otherwise
// explicitly: proactive false, callers 0, scopes [] and lifetime "0s" (the
// issuer's).
func TestSessionsFromFilesAndTypedByHandTakeTheSameDefaults(t *testing.T) {
	hand, err := ParseSessionFlag("name=a", "")
	if err != nil {
		t.Fatal(err)
	}
	if hand.Callers != 1 || hand.Lifetime != time.Hour || !hand.Proactive || !slices.Equal(hand.Scopes, []string{"chat", "voip"}) {
		t.Errorf("--session name=a: %+v; want 1 caller, 1h tokens, proactive, scopes chat voip", hand)
	}
	sc, err := ParseScenario("file.json", []byte(`{"sessions": [{"name": "a"}, {"name": "s", "static": true},
		{"name": "q", "proactive": false, "callers": 0, "scopes": [], "lifetime": "0s"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if f := sc.Sessions[0]; !reflect.DeepEqual(f, hand) {
		t.Errorf("a file's session {name: a}:\n%+v; want what --session name=a gives:\n%+v", f, hand)
	}
	static, err := ParseSessionFlag("name=s,static", "")
	if err != nil {
		t.Fatal(err)
	}
	if f := sc.Sessions[1]; !reflect.DeepEqual(f, static) || f.Proactive {
		t.Errorf("a file's static session:\n%+v; want what --session name=s,static gives, not proactive:\n%+v", f, static)
	}
	if q := sc.Sessions[2]; q.Proactive || q.Callers != 0 || q.Scopes == nil || len(q.Scopes) != 0 || q.Lifetime != 0 {
		t.Errorf("a file's session with explicit proactive false, callers 0, scopes [], lifetime 0s: %+v; want those kept", q)
	}
	for name, s := range map[string]Spec{"hand": hand, "file": sc.Sessions[0]} {
		d := s.WithDefaults()
		if d.Policy != "tokentop" || d.CallInterval != time.Minute {
			t.Errorf("%s: played with policy %q every %s; want tokentop every 1m", name, d.Policy, d.CallInterval)
		}
	}
	teams := Spec{Teams: &TeamsSpec{}}.WithDefaults().Teams
	if teams.ClientID != "tokentop" || teams.UpstreamLifetime != time.Hour || teams.RenewalOffset != 5*time.Minute {
		t.Errorf("Teams defaults %+v; want client tokentop, 1h upstream tokens renewed 5m before expiry", teams)
	}
}
