package ui

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/session"
)

// formWith opens the new-session form, types identity dave and then, for
// each field named, clears it and types the value.
func formWith(t *testing.T, fields map[formField]string) *driver {
	t.Helper()
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 100, 30)
	d.keys("n", "d", "a", "v", "e")
	for fld := fieldIdentity + 1; fld < fieldCount; fld++ {
		d.keys("tab")
		if v, ok := fields[fld]; ok {
			d.keys("ctrl+u")
			if v != "" {
				d.keys(strings.Split(v, "")...)
			}
		}
	}
	return d
}

func TestNewSessionFormRefusesValuesTheIssuerWouldRejectForever(t *testing.T) {
	for _, tt := range []struct {
		field formField
		value string
		want  string
	}{
		{fieldLifetime, "1ms", "lifetime 1ms is out of range: use 1m to 8784h (366 days)"},
		{fieldLifetime, "59s", "lifetime 59s is out of range"},
		{fieldLifetime, "999999h", "lifetime 999999h is out of range: use 1m to 8784h (366 days)"},
		{fieldLifetime, "-5m", "lifetime -5m is out of range"},
		{fieldLifetime, "soon", `lifetime "soon" is not a duration`},
		{fieldCallers, "-1", `callers "-1": type a whole number from 0 to 10000`},
		{fieldCallers, "10001", `callers "10001"`},
		{fieldCallers, "two", `callers "two"`},
		{fieldInterval, "1ms", "interval 1ms is out of range: use 1s to 24h"},
		{fieldInterval, "48h", "interval 48h is out of range"},
	} {
		d := formWith(t, map[formField]string{tt.field: tt.value})
		d.keys("enter")
		if d.m.mode != modeForm {
			t.Errorf("%s %q was accepted", tt.field.name(), tt.value)
			continue
		}
		if s := d.screen(); !strings.Contains(s, tt.want) {
			t.Errorf("%s %q: the form does not say %q:\n%s", tt.field.name(), tt.value, tt.want, s)
		}
		if calls := d.m.be.(*fakeBackend).Calls(); len(calls) != 0 {
			t.Errorf("%s %q reached the backend: %v", tt.field.name(), tt.value, calls)
		}
	}
}

func TestNewSessionFormBlankFieldsMeanTheDefaultsTheyShow(t *testing.T) {
	d := formWith(t, map[formField]string{fieldLifetime: "", fieldCallers: "", fieldInterval: ""})
	screen := d.screen()
	for _, want := range []string{"blank: 60m", "blank: 1", "blank: 1m"} {
		if !strings.Contains(screen, want) {
			t.Errorf("a blank field does not say it means %q:\n%s", want, screen)
		}
	}
	spec, err := d.m.form.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.Lifetime != 60*time.Minute || spec.Callers != 1 || spec.Interval != time.Minute {
		t.Errorf("blank fields gave lifetime %v, %d callers every %v; want the 60m, 1 and 1m shown", spec.Lifetime, spec.Callers, spec.Interval)
	}
	fresh := newSessionForm(nil)
	if fresh.Lifetime.Value != "60m" {
		t.Errorf("the lifetime field starts at %q, want 60m, the default a blank field means", fresh.Lifetime.Value)
	}
}

func TestNewSessionFormMakesAStaticSessionWithCallersInTheManager(t *testing.T) {
	withManager(t, Options{NoColor: true}, func(t *testing.T, mgr *session.Manager, _ *testIssuer, d *driver) {
		d.keys("n", "e", "v", "e", "tab", "tab", "tab", "tab", "y") // static: yes
		if s := d.screen(); !strings.Contains(s, "a static session never refreshes") {
			t.Errorf("with static on the proactive field does not say it does not apply:\n%s", s)
		}
		d.keys("tab", "ctrl+u", "2", "0", "m", "tab", "ctrl+u", "3", "tab", "ctrl+u", "1", "0", "s", "enter")
		synctest.Wait()
		s, ok := mgr.Get("eve")
		if !ok {
			t.Fatalf("no session eve; the form says: %s", d.m.form.Err)
		}
		spec := s.Spec()
		if !spec.Static || spec.Proactive || spec.Lifetime != 20*time.Minute || spec.Callers != 3 || spec.CallInterval != 10*time.Second {
			t.Errorf("spec = %+v, want static, not proactive, 20m, 3 callers every 10s", spec)
		}
		if row := rowOf(d.screen(), "eve"); !strings.Contains(row, "static") {
			t.Errorf("eve's row does not say static: %q", row)
		}
	})
}

func (f formField) name() string {
	return [...]string{"identity", "scopes", "policy", "proactive", "static", "lifetime", "callers", "interval"}[f]
}

// Issue 20, defect 7: an identity is bounded in bytes (256), not only in
// runes, as every other way in bounds it.
func TestNewSessionFormRefusesAnIdentityOver256Bytes(t *testing.T) {
	f := newSessionForm(nil)
	f.Identity.Value = strings.Repeat("é", 200) // 200 runes, 400 bytes
	if _, err := f.Spec(); err == nil || !strings.Contains(err.Error(), "identity is 400 bytes long, over the limit of 256 bytes") {
		t.Errorf("a 400-byte identity: error %v; want one naming the limit of 256 bytes", err)
	}
	f.Identity.Value = strings.Repeat("é", 128)
	if _, err := f.Spec(); err != nil {
		t.Errorf("a 256-byte identity: %v; want it accepted", err)
	}
}
