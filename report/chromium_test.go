package report

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/scenario"
)

// screenshot, when set, makes TestReportRendersInHeadlessChromium copy its
// screenshot of the outage report to the README's picture:
//
//	go test ./report -run Chromium -screenshot
//
// Without it the test writes nothing into the tree.
var screenshot = flag.Bool("screenshot", false, "write the outage report's screenshot to "+readmeShot)

// readmeShot is the README's picture of a report, relative to this package.
const readmeShot = "../docs/report.png"

// TestReportRendersInHeadlessChromium opens the outage report in headless
// Chromium (renderInChromium): the page logs no console error and its
// screenshot is not blank. .ci/run installs chromium; without it the test skips.
func TestReportRendersInHeadlessChromium(t *testing.T) {
	html, _ := playOutage(t)
	shot := renderInChromium(t, html)
	if *screenshot {
		b, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(readmeShot, b, 0o644)
		}
		if err != nil {
			t.Fatalf("writing the README's screenshot: %v", err)
		}
	}
}

// TestEveryBuiltinsReportRendersInHeadlessChromium: the report of every
// built-in scenario logs no console error and is not blank.
func TestEveryBuiltinsReportRendersInHeadlessChromium(t *testing.T) {
	for _, name := range scenario.BuiltinNames() {
		if name == "outage" {
			continue // TestReportRendersInHeadlessChromium's
		}
		t.Run(name, func(t *testing.T) {
			html, _ := playBuiltin(t, name, nil)
			renderInChromium(t, html)
		})
	}
}

// TestComparisonRendersInHeadlessChromium: the comparison page of outage
// logs no console error and is not blank either.
func TestComparisonRendersInHeadlessChromium(t *testing.T) {
	_, html := compareBuiltin(t, "outage")
	renderInChromium(t, html)
}

// renderInChromium opens html in headless Chromium (skipping the test
// without it), fails the test on a console error or a blank screenshot,
// and returns the screenshot's path.
func renderInChromium(t *testing.T, html string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium): the report is not opened in a browser")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "page.html")
	if err := os.WriteFile(page, []byte(html), 0o600); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "out.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless=new", "--disable-gpu", "--no-sandbox",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--no-first-run", "--screenshot="+shot,
		"--window-size=1300,1250", "--hide-scrollbars", "--enable-logging=stderr", "--v=0", "file://"+page)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, line := range consoleErrors(stderr.String()) {
		t.Errorf("the page logged to the console: %s", line)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, stderr.String())
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	colours := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colours) < 20 {
		t.Errorf("screenshot has %d distinct colours: blank?", len(colours))
	}
	return shot
}

// consoleErrors picks the lines of Chromium's log that the page wrote to
// its console or that report an uncaught exception. The report writes
// nothing to the console, so any such line is a fault.
func consoleErrors(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "Uncaught") || strings.Contains(line, "ERROR:CONSOLE") ||
			strings.Contains(line, ":CONSOLE") && strings.Contains(line, "source: file://") {
			out = append(out, line)
		}
	}
	return out
}

func TestConsoleErrorsFindsAnUncaughtException(t *testing.T) {
	log := "[1:1:1202/004333.5:INFO:CONSOLE:1] \"Uncaught ReferenceError: nosuch is not defined\", source: file:///tmp/bad.html (1)\n" +
		"[1:1:1202/004333.6:WARNING:gpu_init.cc(1)] something about the GPU\n"
	if got := consoleErrors(log); len(got) != 1 {
		t.Errorf("found %q, want the one uncaught exception", got)
	}
}
