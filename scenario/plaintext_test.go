package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNamesAndIdentitiesWithControlCharactersAreRefused(t *testing.T) {
	for _, bad := range []string{"a\nb", "a\x1b[2Jb", "a\rb", "a\u009bb", "a\u202eb", "a\x7fb", "a\xffb"} {
		for field, spec := range map[string]Spec{
			"name":            {Name: bad, Identity: "x"},
			"identity":        {Name: "a", Identity: bad},
			"scopes":          {Name: "a", Identity: "x", Scopes: []string{"chat", bad}},
			"teams.client_id": {Name: "a", Identity: "x", Teams: &TeamsSpec{ClientID: bad}},
		} {
			err := spec.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), field+": ") || strings.ContainsAny(err.Error(), "\n\r\x1b\x7f") {
				t.Errorf("%s %q: error %q; want one naming %s, itself free of control characters", field, bad, err, field)
			}
		}
	}
	if err := (Spec{Name: "alice-chat ünïcode 会话", Identity: "alice@example.com"}).Validate(); err != nil {
		t.Errorf("a printable name was refused: %v", err)
	}
}

func TestScenarioFilesRefuseControlCharactersInNames(t *testing.T) {
	cases := map[string]struct{ json, field string }{
		"scenario name":     {`{"name": "x\u001b]0;pwned\u0007", "sessions": [{"name": "a", "identity": "x"}]}`, "bad.json:1: name:"},
		"description":       {`{"description": "\u001b[2J", "sessions": [{"name": "a", "identity": "x"}]}`, "bad.json:1: description:"},
		"session name":      {`{"sessions": [{"name": "a\nb", "identity": "x"}]}`, "sessions[0].name:"},
		"identity":          {`{"sessions": [{"name": "a", "identity": "x\u001b[31m"}]}`, "sessions[0].identity:"},
		"sign-out identity": {`{"sessions": [{"name": "a", "identity": "x"}], "timeline": [{"at": "1m", "action": "sign-out", "identity": "x\r"}]}`, "timeline[0].identity:"},
	}
	for name, c := range cases {
		_, err := ParseScenario("bad.json", []byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.field) || !strings.Contains(err.Error(), "control character") {
			t.Errorf("%s: error %v; want one at %q about a control character", name, err, c.field)
		}
	}
	if _, err := ParseScenario("ok.json", []byte(`{"description": "two\nlines", "sessions": [{"name": "a", "identity": "x"}]}`)); err != nil {
		t.Errorf("a description with a newline was refused: %v", err)
	}
}

func TestScenarioNamedAfterAFileWithControlCharactersGetsAPlainName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evil\x1b[2J.json")
	if err := os.WriteFile(path, []byte(`{"sessions": [{"name": "a", "identity": "x"}]}`), 0o600); err != nil {
		t.Skip("this file system refuses the name:", err)
	}
	sc, err := LoadScenario(path)
	if err != nil || sc.Name != "scenario" {
		t.Errorf("name %q, error %v; want the plain name \"scenario\"", sc.Name, err)
	}
}
