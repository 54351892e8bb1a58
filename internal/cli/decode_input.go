package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
)

// readToken reads the token from file, or stdin when file is empty, through
// a limit. It takes the token alone (space dropped: a token pasted over
// several lines), after "Bearer " or "Authorization: Bearer ", or in an
// issuer's JSON answer (see tokenFromJSON).
func readToken(file string, stdin io.Reader, stderr io.Writer) (string, error) {
	from := "stdin"
	in := stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		in, from = f, file
	} else if f, ok := stdin.(*os.File); ok && term.IsTerminal(f.Fd()) {
		// Only a person at a terminal is asked: /dev/null is a character
		// device too, and a pipe or a file needs no prompt.
		fmt.Fprintln(stderr, "tokentop decode: paste the token, then press Enter and Ctrl-D")
	}
	b, err := io.ReadAll(io.LimitReader(in, maxDecodeInput+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("read %s: %w", from, err)
	case len(b) > maxDecodeInput:
		return "", fmt.Errorf("%s holds more than %d KiB; a token is a few KiB", from, maxDecodeInput>>10)
	}
	raw := strings.TrimSpace(string(b))
	if strings.HasPrefix(raw, "{") {
		return tokenFromJSON(raw, from)
	}
	if name, rest, ok := strings.Cut(raw, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "Authorization") {
		raw = strings.TrimSpace(rest)
	}
	if scheme, rest, ok := strings.Cut(raw, " "); ok && strings.EqualFold(scheme, "Bearer") {
		raw = rest
	}
	// A JWT holds no space: a token wrapped over lines when pasted is whole again.
	raw = strings.Join(strings.Fields(raw), "")
	if raw == "" {
		return "", fmt.Errorf("%s holds no token", from)
	}
	return raw, nil
}

// tokenFromJSON finds the token in an issuer's JSON answer: a string member
// access_token (OAuth2), token (an ACS sample app server) or
// communicationIdentityToken (the Teams exchange), or accessToken.token (the
// ACS identity API).
func tokenFromJSON(body, from string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &obj); err != nil {
		return "", fmt.Errorf("%s starts with '{' but is not a JSON object: %w", from, err)
	}
	keys := []string{"access_token", "token", "communicationIdentityToken"}
	for _, k := range keys {
		var s string
		if json.Unmarshal(obj[k], &s) == nil && s != "" {
			return strings.TrimSpace(s), nil
		}
	}
	var nested struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(obj["accessToken"], &nested) == nil && nested.Token != "" {
		return strings.TrimSpace(nested.Token), nil
	}
	return "", fmt.Errorf("%s holds a JSON object without a token: want one of %s, or accessToken.token", from, strings.Join(keys, ", "))
}
