package ui

import (
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestShowSecretsShowsTheTokenFullWidthWithoutAnIndent(t *testing.T) {
	f := demoBackend(testNow)
	raw := f.details["alice-chat"].Token
	d := newDriver(t, f, Options{NoColor: true, ShowSecrets: true}, 100, 30)
	lines := strings.Split(d.screen(), "\n")
	at := -1
	for i, l := range lines {
		if strings.HasPrefix(l, " token (c copies it)") {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("no token line on the screen:\n%s", d.screen())
	}
	// The rows under the label, joined as they stand (nothing trimmed), are
	// the token: a mouse selection across them copies nothing else.
	var got strings.Builder
	for _, l := range lines[at+1:] {
		if got.Len() >= len(raw) {
			break
		}
		got.WriteString(strings.TrimRight(l, " "))
	}
	if got.String() != raw {
		t.Errorf("the token rows read\n%q\nwant the token\n%q", got.String(), raw)
	}
}

func TestCopyKeyCopiesTheSelectedTokenWithOSC52AndNamesItByFingerprint(t *testing.T) {
	f := demoBackend(testNow)
	raw := f.details["alice-chat"].Token
	d := newDriver(t, f, Options{NoColor: true, ShowSecrets: true}, 100, 30)
	next, cmd := d.m.Update(keyPress("c"))
	d.m = next.(Model)
	if cmd == nil {
		t.Fatal("c returned no command")
	}
	if got, want := cmd(), tea.SetClipboard(raw)(); !reflect.DeepEqual(got, want) {
		t.Errorf("c's command yields %#v, want tea.SetClipboard of the token", got)
	}
	status := ansi.Strip(d.m.status)
	if want := "copied token of alice-chat (" + fingerprint(raw) + ")"; !strings.Contains(status, want) {
		t.Errorf("status %q lacks %q", status, want)
	}
	if strings.Contains(status, raw) || strings.Contains(d.screen(), "copied token of alice-chat ("+raw) {
		t.Error("the status shows the token itself")
	}
	if d.m.keys.Copy.Help().Key != "c" || !strings.Contains(d.screen(), "c copy token") {
		t.Errorf("the help line does not offer c with --show-secrets:\n%s", d.screen())
	}
}

func TestCopyKeyWithoutShowSecretsCopiesNothingAndSaysWhy(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 200, 30)
	if strings.Contains(d.screen(), "copy token") {
		t.Error("the help offers c although --show-secrets is off")
	}
	next, cmd := d.m.Update(keyPress("c"))
	d.m = next.(Model)
	if cmd != nil {
		t.Errorf("c without --show-secrets returned a command (%T): it must not touch the clipboard", cmd())
	}
	if want := "--show-secrets"; !strings.Contains(d.m.status, want) {
		t.Errorf("status %q does not say c needs %s", d.m.status, want)
	}
}
