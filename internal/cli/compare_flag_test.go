package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"tokentop/compare"

	"tokentop/session"
)

// TestCompareRowsEqualFivePolicyRuns: `--headless --scenario outage
// --compare` prints one row per policy equal to the totals of a `--policy`
// run of the same sessions. outage's sessions name their own policies,
// which --policy leaves alone, so the --policy runs play a copy of the
// scenario without them.
func TestCompareRowsEqualFivePolicyRuns(t *testing.T) {
	data, err := os.ReadFile("../../scenario/scenarios/outage.json")
	if err != nil {
		t.Fatal(err)
	}
	bare := regexp.MustCompile(`"policy": "[a-z]+", `).ReplaceAll(data, nil)
	if bytes.Contains(bare, []byte(`"policy"`)) {
		t.Fatal("outage.json: a policy field is left")
	}
	file := filepath.Join(t.TempDir(), "outage.json")
	if err := os.WriteFile(file, bare, 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(string) string { return "" }
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"--headless", "--scenario", "outage", "--compare", "--json"}, env, &out, &errs); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var rows []compare.ComparisonRow
	for lines := bufio.NewScanner(&out); lines.Scan(); {
		var r compare.ComparisonRow
		if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
			t.Fatalf("not a JSON row: %v: %s", err, lines.Text())
		}
		rows = append(rows, r)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, want 5", len(rows))
	}
	for _, r := range rows {
		var single bytes.Buffer
		if code := run(context.Background(), []string{"--headless", "--scenario", file, "--policy", r.Policy, "--json"}, env, &single, io.Discard); code != exitOK {
			t.Fatalf("--policy %s: exit %d", r.Policy, code)
		}
		lines := strings.Split(strings.TrimSpace(single.String()), "\n")
		var sum session.Summary
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
			t.Fatal(err)
		}
		tot := sum.Totals
		t.Logf("%-8s calls %d failed %d caller errors %d gap %gs", r.Policy, r.IssuerCalls, r.Failures, r.GetTokenErrors, r.TokenGapSeconds)
		if r.IssuerCalls != tot.IssuerCalls || r.Successes != tot.Successes || r.Failures != tot.Failures ||
			r.GetTokenErrors != tot.GetTokenErrors || r.TokenGapSeconds != tot.TokenGapSeconds || r.Sessions != len(sum.Sessions) {
			t.Errorf("--compare row %+v; --policy %s run totals %+v", r, r.Policy, tot)
		}
	}
}

// TestCompareIsRefusedWhereItCannotBeExact: --compare exits 2 with a
// message naming what to change, before anything runs.
func TestCompareIsRefusedWhereItCannotBeExact(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--compare"}, "--compare goes with --headless"},
		{[]string{"--headless", "--compare", "--clock", "scaled"}, "exact only in sim time"},
		{[]string{"--headless", "--compare", "--issuer", "https://127.0.0.1:1/token"}, "a real issuer runs on the real clock"},
		{[]string{"--headless", "--compare", "--policy", "js"}, "leave --policy js out"},
	} {
		var errs bytes.Buffer
		code := run(context.Background(), c.args, func(string) string { return "" }, io.Discard, &errs)
		if code != exitUsage || !strings.Contains(errs.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 and %q", c.args, code, errs.String(), c.want)
		}
	}
}
