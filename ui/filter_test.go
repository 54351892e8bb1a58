package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestFilterMatchesNamesAndIdentitiesOnlyNeverTheState(t *testing.T) {
	f := demoBackend(testNow)
	for i := range f.sessions {
		f.sessions[i].State = stateValid // "ali" is in "valid"
	}
	d := newDriver(t, f, Options{NoColor: true}, 100, 30)
	d.keys("/", "a", "l", "i")
	screen := d.screen()
	if rowOf(screen, "alice-chat") == "" {
		t.Errorf("/ali does not show alice-chat:\n%s", screen)
	}
	for _, other := range []string{"bob-calling", "carol-static"} {
		if rowOf(screen, other) != "" {
			t.Errorf("/ali shows %s, whose state is valid but whose name and identity lack ali:\n%s", other, screen)
		}
	}
	d.keys("esc", "/")
	d.keys(strings.Split("static", "")...) // carol-static's name has it
	if rowOf(d.screen(), "carol-static") == "" {
		t.Error("/static does not find carol-static by its name")
	}
	d.keys("esc", "/")
	d.keys(strings.Split("tokentop", "")...) // only alice-chat's policy
	if rowOf(d.screen(), "alice-chat") != "" {
		t.Error("/tokentop matched alice-chat by its policy")
	}
	d.keys("esc", "/", "b", "o", "b")
	if rowOf(d.screen(), "bob-calling") == "" {
		t.Error("/bob does not find bob's session by its identity")
	}
}

func TestFilterPromptSaysWhatItMatchesAndFitsEveryWidth(t *testing.T) {
	const hint = "enter keep · esc clear"
	for w := 12; w <= 200; w++ {
		d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, w, 24)
		d.keys("/", "b", "o")
		lines := strings.Split(d.screen(), "\n")
		last := lines[len(lines)-1]
		if ansi.StringWidth(last) != w {
			t.Fatalf("at %d columns the prompt is %d wide: %q", w, ansi.StringWidth(last), last)
		}
		if strings.Contains(last, "…") || (strings.Contains(last, "enter") && !strings.Contains(last, hint)) {
			t.Errorf("at %d columns the prompt's hint is cut: %q", w, last)
		}
		if !strings.Contains(last, "bo▏") {
			t.Errorf("at %d columns the prompt hides what was typed: %q", w, last)
		}
		if w >= 80 && (!strings.Contains(last, "filter names/identities:") || !strings.Contains(last, hint)) {
			t.Errorf("at %d columns the prompt does not say what it matches and how to leave: %q", w, last)
		}
	}
}
