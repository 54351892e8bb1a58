package issuer

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Kind says which adapter a Spec describes.
type Kind int

// The kinds of issuer a spec can name.
const (
	KindFake   Kind = iota + 1 // the embedded fake issuer (package fakeissuer)
	KindHTTP                   // an app-server endpoint (HTTP)
	KindOAuth2                 // an OAuth2 client-credentials endpoint (OAuth2)
	KindExec                   // a command (Exec)
	KindACS                    // the Azure Communication Services Identity API (ACS)
)

// String returns the kind's name as specs and messages spell it ("fake",
// "http", "oauth2", "exec", "acs"), or Kind(N) for any other value.
func (k Kind) String() string {
	switch k {
	case KindFake:
		return "fake"
	case KindHTTP:
		return "http"
	case KindOAuth2:
		return "oauth2"
	case KindExec:
		return "exec"
	case KindACS:
		return "acs"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// SpecHelp describes the valid issuer specs, for a program's --help. Parse
// errors are one line and point to it with specHelpPointer instead of
// carrying it, so that they fit a CLI error line or an event-log entry.
const SpecHelp = `valid issuer specs:
  fake                                      the embedded fake issuer
  http://host:port/getToken[#options]       an app server (POSTs {"username": IDENTITY})
  https://host/path[#options]               options: method=GET, body=TEMPLATE, token=PATH,
                                            header=Name:value, header_env=Name:ENV_VAR,
                                            jwks=URL or issuer_url=URL (joined with &)
  oauth2:token_url=URL,client_id=ID,secret_env=ENV_VAR[,scope=S][,audience=A][,resource=R]
                                            OAuth2 client credentials (or secret_file=PATH);
                                            also [,jwks=URL] or [,issuer_url=URL]
  exec:command arg1 arg2                    a command printing a token or JSON, e.g. exec:az account get-access-token -o json
  exec[jwks=URL]:command arg1 arg2          the same, checking signatures (or exec[issuer_url=URL]:...)
  acs:connection_string_env=ENV_VAR[,scope=S][,keep_users=true]
                                            Azure Communication Services: a user per identity, made at its
                                            first token, revoked on sign-out, deleted at exit (keep_users=true
                                            keeps it); or connection_string_file=PATH; also [,jwks=URL]
                                            or [,issuer_url=URL]`

// specKinds lists the kinds of spec, for an error about one that is none.
const specKinds = "want fake, http(s)://..., oauth2:..., exec:... or acs:..."

// specHelpPointer ends every spec error: where the valid specs are described.
const specHelpPointer = "(see tokentop --help for issuer specs)"

// ErrFakeIssuer is returned by Spec.New for the "fake" spec: the fake issuer
// lives in package fakeissuer (which imports this one), so the caller builds it.
var ErrFakeIssuer = errors.New(`the "fake" issuer is built by package fakeissuer: check Spec.Kind == KindFake and call fakeissuer.New`)

// Spec is a parsed issuer spec: its kind and the settings of that kind's
// adapter. Only the field matching Kind is set.
type Spec struct {
	Kind   Kind
	HTTP   HTTPConfig
	OAuth2 OAuth2Config
	Exec   ExecConfig
	ACS    ACSConfig
}

// ParseSpec reads an issuer spec (see the package documentation and
// SpecHelp). It checks the syntax only: secrets are read by Spec.New.
func ParseSpec(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	var (
		spec Spec
		err  error
	)
	switch {
	case s == "fake":
		spec.Kind = KindFake
	case hasPrefixFold(s, "http://"), hasPrefixFold(s, "https://"):
		spec.Kind = KindHTTP
		spec.HTTP, err = parseHTTPSpec(s)
	case strings.HasPrefix(s, "oauth2:"):
		spec.Kind = KindOAuth2
		spec.OAuth2, err = parseOAuth2Spec(strings.TrimPrefix(s, "oauth2:"))
	case strings.HasPrefix(s, "exec:"), strings.HasPrefix(s, "exec["):
		spec.Kind = KindExec
		spec.Exec, err = parseExecSpec(s)
	case strings.HasPrefix(s, "acs:"):
		spec.Kind = KindACS
		spec.ACS, err = parseACSSpec(strings.TrimPrefix(s, "acs:"))
	case s == "":
		err = errors.New("empty spec; " + specKinds)
	default:
		err = errors.New("unknown kind; " + specKinds)
	}
	if err != nil {
		return Spec{}, fmt.Errorf("issuer spec %s: %w %s", specHead(s), err, specHelpPointer)
	}
	return spec, nil
}

// New builds the adapter the spec describes, reading any secret it names.
// For KindFake it returns ErrFakeIssuer.
func (s Spec) New(opts Options) (Issuer, error) {
	switch s.Kind {
	case KindFake:
		return nil, ErrFakeIssuer
	case KindHTTP:
		return NewHTTP(s.HTTP, opts)
	case KindOAuth2:
		return NewOAuth2(s.OAuth2, opts)
	case KindExec:
		return NewExec(s.Exec, opts)
	case KindACS:
		return NewACS(s.ACS, opts)
	}
	return nil, fmt.Errorf("issuer spec of kind %s cannot be built %s", s.Kind, specHelpPointer)
}

// Parse is ParseSpec followed by Spec.New. For "fake" it returns
// ErrFakeIssuer: the caller builds the fake issuer itself.
func Parse(spec string, opts Options) (Issuer, error) {
	s, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return s.New(opts)
}

// specHead names a spec in an error without echoing what may be a secret
// (a query, an argument, a header value, a mistyped key): the URL without
// query and fragment, the command's name, or the kind.
func specHead(s string) string {
	switch {
	case hasPrefixFold(s, "http://"), hasPrefixFold(s, "https://"):
		if u, err := url.Parse(s); err == nil {
			return redactURL(u)
		}
		return "http"
	case strings.HasPrefix(s, "oauth2:"):
		return "oauth2:…"
	case strings.HasPrefix(s, "acs:"):
		return "acs:…"
	case strings.HasPrefix(s, "exec:"), strings.HasPrefix(s, "exec["):
		if _, command, err := splitExecSpec(s); err == nil {
			if argv, err := splitArgs(command); err == nil && len(argv) > 0 {
				return oneLine("exec:" + argv[0] + " …")
			}
		}
		return "exec:…"
	}
	head, _, found := strings.Cut(s, ":")
	if len(head) > 12 {
		return fmt.Sprintf("%q…", head[:12])
	}
	if found {
		return fmt.Sprintf("%q", head+":…")
	}
	return fmt.Sprintf("%q", head)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func parseHTTPSpec(s string) (HTTPConfig, error) {
	u, err := url.Parse(s)
	if err != nil {
		return HTTPConfig{}, fmt.Errorf("not a URL: %w", errors.Unwrap(err))
	}
	if u.Host == "" {
		return HTTPConfig{}, errors.New("the URL has no host")
	}
	if u.User != nil {
		return HTTPConfig{}, errors.New("the URL carries a user or password; a secret never goes in the spec (it would show in ps and shell history): send it with header_env=Authorization:ENV_VAR")
	}
	opts, err := url.ParseQuery(u.EscapedFragment())
	if err != nil {
		return HTTPConfig{}, errors.New("options after # are not name=value pairs joined with &")
	}
	u.Fragment, u.RawFragment = "", ""
	cfg := HTTPConfig{URL: u.String()}
	// Errors name the option, never its value: a value may be a secret.
	for name, values := range opts {
		for _, v := range values {
			switch name {
			case "method":
				m := strings.ToUpper(v)
				if m != http.MethodGet && m != http.MethodPost {
					return HTTPConfig{}, errors.New("option method: want GET or POST")
				}
				cfg.Method = m
			case "body":
				cfg.Body = v
			case "token":
				if v == "" || strings.Contains(v, "..") || strings.HasPrefix(v, ".") || strings.HasSuffix(v, ".") {
					return HTTPConfig{}, errors.New("option token: want a dotted JSON path such as data.token")
				}
				cfg.TokenField = v
			case "header", "header_env":
				key, val, ok := strings.Cut(v, ":")
				key, val = strings.TrimSpace(key), strings.TrimSpace(val)
				if !ok || key == "" || val == "" {
					return HTTPConfig{}, fmt.Errorf("option %s: want Name:value (the value is not shown)", name)
				}
				if name == "header" {
					if carriesCredential(key) {
						hint := "Name"
						if isNameText(key) {
							hint = key
						}
						return HTTPConfig{}, fmt.Errorf("option header: %s carries a credential, which never goes in the spec (it would show in ps and shell history); use header_env=%s:ENV_VAR", printableName(key), hint)
					}
					if cfg.Header == nil {
						cfg.Header = http.Header{}
					}
					cfg.Header.Add(key, val)
				} else {
					if cfg.HeaderEnv == nil {
						cfg.HeaderEnv = map[string]string{}
					}
					cfg.HeaderEnv[http.CanonicalHeaderKey(key)] = val
				}
			case "jwks", "issuer_url":
				if err := cfg.Keys.setOption(name, v); err != nil {
					return HTTPConfig{}, err
				}
			default:
				return HTTPConfig{}, fmt.Errorf("unknown option %s after #; want method, body, token, header, header_env, %s", printableName(name), keyOptionNames)
			}
		}
	}
	return cfg, nil
}

// carriesCredential says whether a header name is one that holds a secret:
// Authorization, Proxy-Authorization, Cookie, or a name mentioning a key,
// token, secret or auth (X-Api-Key, X-Auth-Token).
func carriesCredential(name string) bool {
	n := strings.ToLower(name)
	if n == "cookie" {
		return true
	}
	for _, word := range []string{"auth", "key", "token", "secret"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// printableName quotes a name the user typed (an option, a header, a key) if
// it looks like a name; anything else, which may be a secret typed in the
// wrong place, is not echoed.
func printableName(name string) string {
	if !isNameText(name) {
		return "(not shown)"
	}
	return fmt.Sprintf("%q", name)
}

// isNameText says whether s looks like a name: up to 32 letters, digits, -
// and _.
func isNameText(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func parseOAuth2Spec(s string) (OAuth2Config, error) {
	var cfg OAuth2Config
	err := parsePairs(s, func(key, val string) error {
		switch key {
		case "token_url":
			cfg.TokenURL = val
		case "client_id":
			cfg.ClientID = val
		case "secret_env":
			cfg.SecretEnv = val
		case "secret_file":
			cfg.SecretFile = val
		case "scope":
			cfg.Scopes = append(cfg.Scopes, strings.Fields(val)...)
		case "audience":
			cfg.Audience = val
		case "resource":
			cfg.Resource = val
		case "auth":
			if val != "header" && val != "params" {
				return errors.New("key auth: want header or params")
			}
			cfg.AuthStyle = val
		case "jwks", "issuer_url":
			return cfg.Keys.setOption(key, val)
		case "secret", "client_secret":
			return fmt.Errorf("%s: a secret never goes in the spec (it would show in ps and shell history); use secret_env=VAR or secret_file=PATH", key)
		default:
			return fmt.Errorf("unknown key %s; want token_url, client_id, secret_env, secret_file, scope, audience, resource, auth, %s", printableName(key), keyOptionNames)
		}
		return nil
	})
	if err == nil {
		err = cfg.check()
	}
	if err != nil {
		return OAuth2Config{}, err
	}
	return cfg, nil
}

// parsePairs calls each with the key and value of every key=value pair of
// s, pairs joined with commas, spaces around keys and values trimmed, empty
// pairs skipped. A pair without = or without a value is an error that
// never echoes the pair: it may be a secret typed in the wrong place.
func parsePairs(s string, each func(key, val string) error) error {
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		key, val, ok := strings.Cut(pair, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch {
		case !ok:
			return errors.New("a part without =: want key=value pairs joined with commas")
		case val == "":
			return fmt.Errorf("option %s has no value: want key=value pairs joined with commas", printableName(key))
		}
		if err := each(key, val); err != nil {
			return err
		}
	}
	return nil
}

// splitArgs splits a command line into words like a shell would, without
// expanding anything: spaces separate words, '...' quotes literally, "..."
// quotes with \" and \\ escapes, and \ escapes one character outside quotes.
func splitArgs(s string) ([]string, error) {
	var (
		args    []string
		word    strings.Builder
		inWord  bool
		quote   byte
		escaped bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			word.WriteByte(c)
			escaped = false
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				word.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				word.WriteByte(s[i])
			default:
				word.WriteByte(c)
			}
		case c == '\\':
			escaped, inWord = true, true
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				args = append(args, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	switch {
	case quote != 0:
		return nil, fmt.Errorf("unclosed %c quote in the command", quote)
	case escaped:
		return nil, errors.New("the command ends with a lone \\")
	}
	if inWord {
		args = append(args, word.String())
	}
	return args, nil
}
