package ui

import (
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"tokentop/issuer"
)

func TestScreenFillsEveryWindowSizeExactly(t *testing.T) {
	sizes := [][2]int{{80, 24}, {81, 25}, {100, 30}, {120, 40}, {200, 50}, {250, 70}, {60, 20}, {40, 12}, {20, 6}}
	for _, many := range []bool{false, true} {
		for _, sz := range sizes {
			f := demoBackend(testNow)
			if many {
				f = manySessions(300)
			}
			d := newDriver(t, f, Options{Issuer: "fake (in-process)", NoColor: true}, sz[0], sz[1])
			checkGeometry(t, d.screen(), sz[0], sz[1])
			d.keys("?") // the full help takes more lines
			checkGeometry(t, d.screen(), sz[0], sz[1])
		}
	}
}

func TestResizeKeepsTheSelectionAndFitsTheNewSize(t *testing.T) {
	d := newDriver(t, manySessions(300), Options{NoColor: true}, 200, 50)
	d.keys("G")
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	screen := d.screen()
	checkGeometry(t, screen, 80, 24)
	if !strings.Contains(screen, "> session-0299") {
		t.Errorf("after shrinking, the selected last session is not on screen:\n%s", screen)
	}
}

func TestTableScrollsToKeepTheCursorVisible(t *testing.T) {
	d := newDriver(t, manySessions(1000), Options{NoColor: true}, 120, 40)
	screen := d.screen()
	if strings.Contains(screen, "session-0100") {
		t.Fatal("the first screen already shows row 100; the test needs more rows than fit")
	}
	for range 100 {
		d.keys("down")
	}
	screen = d.screen()
	if !strings.Contains(screen, "> session-0100") || !strings.Contains(screen, "session-0100 101/1000") {
		t.Errorf("after 100 downs the cursor row is not visible:\n%s", screen)
	}
	if !strings.Contains(screen, "NAME") {
		t.Error("the column header scrolled away")
	}
	d.keys("G")
	if !strings.Contains(d.screen(), "> session-0999") {
		t.Error("G did not show the last session")
	}
	d.keys("g")
	if !strings.Contains(d.screen(), "> session-0000") {
		t.Error("g did not show the first session")
	}
}

var colourSGR = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])[;m]`)

func TestNoColorScreenHasNoColoursButMarksTheSelectionAndStatesInText(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 120, 30)
	raw := d.m.View().Content
	if loc := colourSGR.FindStringIndex(raw); loc != nil {
		t.Errorf("no-colour screen has a colour escape %q", raw[loc[0]:loc[1]])
	}
	if !strings.Contains(raw, "\x1b[7m") {
		t.Error("no-colour screen does not mark the selected row in reverse video")
	}
	screen := d.screen()
	for _, state := range []string{"valid", "in window", "expired"} {
		if !strings.Contains(screen, state) {
			t.Errorf("state %q is not spelled out", state)
		}
	}
}

func TestAnASCIIColourProfileSwitchesToTheNoColourTheme(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{}, 120, 30)
	if colourSGR.FindString(d.m.View().Content) == "" {
		t.Fatal("the default theme has no colour; the test cannot tell the themes apart")
	}
	d.send(tea.ColorProfileMsg{Profile: colorprofile.ASCII})
	if s := colourSGR.FindString(d.m.View().Content); s != "" {
		t.Errorf("after an ASCII profile the screen still has colour escape %q", s)
	}
}

func TestHeaderShowsPausedSpeedAndEventsTheLogsNoLongerKeep(t *testing.T) {
	f := demoBackend(testNow)
	f.paused = true
	f.totals.EventsNotKept = 12
	d := newDriver(t, f, Options{Issuer: "http://127.0.0.1:8080/getToken", NoColor: true}, 200, 30)
	header := strings.SplitN(d.screen(), "\n", 2)[0]
	for _, want := range []string{"10:42:17 x60", "PAUSED", "events not kept 12", "issuer: http://127.0.0.1:8080/getToken"} {
		if !strings.Contains(header, want) {
			t.Errorf("header %q lacks %q", header, want)
		}
	}
}

func TestHeaderShowsTheSpeedAchievedWhenTheMachineFallsBehind(t *testing.T) {
	for _, tc := range []struct {
		achieved float64
		want     bool
	}{{0, false}, {59, false}, {41.37, true}} {
		f := demoBackend(testNow)
		f.achieved = tc.achieved
		d := newDriver(t, f, Options{NoColor: true}, 200, 30)
		header := strings.SplitN(d.screen(), "\n", 2)[0]
		if got := strings.Contains(header, "(x41.4 achieved)"); got != tc.want || strings.Contains(header, "achieved") != tc.want {
			t.Errorf("achieved %v of x60: header %q; want the achieved speed shown: %v", tc.achieved, header, tc.want)
		}
	}
}

func TestSignatureBadgeShowsTheVerifierVerdict(t *testing.T) {
	for _, tt := range []struct {
		name   string
		verify func(string) error
		want   string
	}{
		{"no verifier", nil, "signature: not checked"},
		{"verified", func(string) error { return nil }, "signature: verified (ES256)"},
		{"bad", func(string) error { return errBadSignature }, "signature: INVALID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, demoBackend(testNow), Options{VerifySignature: tt.verify, NoColor: true}, 120, 30)
			if got := d.screen(); !strings.Contains(got, tt.want) {
				t.Errorf("screen lacks %q:\n%s", tt.want, got)
			}
		})
	}
}

func TestSignatureBadgeShowsTheIssuerAdaptersVerdict(t *testing.T) {
	for _, tt := range []struct {
		check issuer.SignatureCheck
		want  string
	}{
		{issuer.SignatureCheck{State: issuer.SignatureVerified, Alg: "RS256"}, "signature: verified (RS256)"},
		{issuer.SignatureCheck{State: issuer.SignatureInvalid, Why: "crypto/rsa: verification error"}, "signature: invalid (crypto/rsa: verification error)"},
		{issuer.SignatureCheck{State: issuer.SignatureUnknownKey, Why: "kid k9"}, "signature: unknown key (kid k9)"},
		{issuer.SignatureCheck{State: issuer.SignatureNotChecked, Why: "no keys configured"}, "signature: not checked (no keys configured)"},
	} {
		f := demoBackend(testNow)
		f.details["alice-chat"].Signature = tt.check
		d := newDriver(t, f, Options{NoColor: true}, 140, 30)
		if got := d.screen(); !strings.Contains(got, tt.want) {
			t.Errorf("%s: screen lacks %q:\n%s", tt.check.State, tt.want, got)
		}
	}
}

var errBadSignature = errorString("signature does not match the issuer's key")

type errorString string

func (e errorString) Error() string { return string(e) }

func TestExpiredTokenGetsAnExpiredTimeBadge(t *testing.T) {
	d := newDriver(t, demoBackend(testNow), Options{NoColor: true}, 120, 30)
	d.keys("down", "down") // carol-static, expired 2m ago
	if got := d.screen(); !strings.Contains(got, "time: expired") || !strings.Contains(got, "decoded: ok") {
		t.Errorf("expired token's badges wrong:\n%s", got)
	}
}

func TestClaimsOfAnotherSessionAreNeverShownUnderTheSelectedName(t *testing.T) {
	f := demoBackend(testNow)
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	d.keys("down")
	if !strings.Contains(d.screen(), "sub 8:acs:bob") {
		t.Fatal("bob's claims are not shown after selecting bob")
	}
	next, _ := d.m.Update(keyPress("down")) // carol is selected; her detail is not fetched yet
	d.m = next.(Model)
	if got := d.screen(); strings.Contains(got, "8:acs:bob") || !strings.Contains(got, "carol-static 3/3") {
		t.Errorf("bob's claims appear while carol-static is selected:\n%s", got)
	}
	d.send(frameMsg{frame: f.Frame("bob-calling"), asked: "bob-calling"}) // a late frame with bob's detail
	if got := d.screen(); strings.Contains(got, "8:acs:bob") {
		t.Errorf("a late frame put bob's claims under carol-static:\n%s", got)
	}
}

func TestHelpLineAlwaysOffersHelpAndQuitAndFitsTheMode(t *testing.T) {
	for w := 60; w <= 120; w += 5 {
		d := newDriver(t, demoBackend(testNow), Options{NoColor: true, CanInjectFaults: true}, w, 24)
		lines := strings.Split(d.screen(), "\n")
		if last := lines[len(lines)-1]; !strings.Contains(last, "? help") || !strings.Contains(last, "q quit") {
			t.Errorf("at %d columns the help line cuts off ? help or q quit: %q", w, last)
		}
	}
	for _, tt := range []struct{ keys, want []string }{
		{[]string{"f"}, []string{"1-9 inject", "esc cancel"}},
		{[]string{"n"}, []string{"enter create", "y/n yes/no", "esc cancel"}},
	} {
		d := newDriver(t, demoBackend(testNow), Options{NoColor: true, CanInjectFaults: true}, 100, 30)
		d.keys(tt.keys...)
		lines := strings.Split(d.screen(), "\n")
		last := lines[len(lines)-1]
		if strings.Contains(last, "refresh") {
			t.Errorf("after %v the help line still lists the table's keys: %q", tt.keys, last)
		}
		for _, w := range tt.want {
			if !strings.Contains(last, w) {
				t.Errorf("after %v the help line lacks %q: %q", tt.keys, w, last)
			}
		}
	}
}

func TestAnOlderFrameArrivingLateNeverOverwritesANewerOne(t *testing.T) {
	f := demoBackend(testNow)
	d := newDriver(t, f, Options{NoColor: true}, 120, 30)
	older := d.m.fetchFrame() // say, an action's fetch
	newer := d.m.fetchFrame() // say, the ticker's
	olderMsg := older()       // read before the change
	f.mu.Lock()
	f.sessions[1].State = stateFailed
	f.mu.Unlock()
	d.send(newer()) // read after it, delivered first
	d.send(olderMsg)
	if row := rowOf(d.screen(), "bob-calling"); !strings.Contains(row, "failed") {
		t.Errorf("a stale frame overwrote the newer one: bob-calling's row is %q, want failed", row)
	}
}

func TestEveryPromptAndOverlayFillsEveryWindowSizeExactly(t *testing.T) {
	sizes := [][2]int{{80, 24}, {100, 30}, {200, 50}, {60, 20}, {40, 12}, {20, 6}}
	for _, keys := range [][]string{{"n"}, {"f"}, {"b"}, {"/", "x"}, {"tab", "/", "e"}, {"tab", "?"}, {"d"}} {
		for _, sz := range sizes {
			d := newDriver(t, demoBackend(testNow), Options{NoColor: true, CanInjectFaults: true, ShowSecrets: true}, sz[0], sz[1])
			d.keys(keys...)
			checkGeometry(t, d.screen(), sz[0], sz[1])
		}
	}
}
