package issuer

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// KeySource says where an adapter finds the public keys that sign the
// tokens it returns, to check their signatures (CallInfo.Signature). At most
// one field is set; the zero value checks no signature.
type KeySource struct {
	// JWKS is the URL of the issuer's JWK Set.
	JWKS string
	// IssuerURL is an OpenID Connect issuer: its discovery document,
	// IssuerURL/.well-known/openid-configuration, names the JWK Set
	// (jwks_uri).
	IssuerURL string
}

// Configured says whether the source names any keys.
func (k KeySource) Configured() bool { return k.JWKS != "" || k.IssuerURL != "" }

// check reports a source that names two places or a URL that cannot be
// fetched. It never echoes a URL: it may carry a password.
func (k KeySource) check() error {
	if k.JWKS != "" && k.IssuerURL != "" {
		return errors.New("give jwks or issuer_url, not both")
	}
	if k.JWKS != "" {
		if err := checkKeyURL(k.JWKS); err != nil {
			return fmt.Errorf("jwks: %w", err)
		}
	}
	if k.IssuerURL != "" {
		if err := checkKeyURL(k.IssuerURL); err != nil {
			return fmt.Errorf("issuer_url: %w", err)
		}
	}
	return nil
}

func checkKeyURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want http://host/path or https://host/path")
	}
	if u.User != nil {
		return errors.New("the URL carries a user or password; a key set is public and needs none")
	}
	return nil
}

// isKeyOption says whether a spec option names a KeySource field.
func isKeyOption(name string) bool { return name == "jwks" || name == "issuer_url" }

// setOption sets the field a spec option names (jwks or issuer_url) and
// checks the result.
func (k *KeySource) setOption(name, value string) error {
	field := &k.JWKS
	if name == "issuer_url" {
		field = &k.IssuerURL
	}
	if *field != "" {
		return fmt.Errorf("option %s given twice", name)
	}
	*field = value
	return k.check()
}

// keyOptionNames lists the key options, for the "unknown option" errors.
const keyOptionNames = "jwks or issuer_url"

// execSpecHelp is how the options of an exec spec are written.
const execSpecHelp = "exec[jwks=URL]:command or exec[issuer_url=URL]:command"

// splitExecSpec splits "exec:COMMAND" or "exec[OPTIONS]:COMMAND" into the
// options (empty for the first form) and the command. The options end at
// the "]" that closes "exec[", so that an IPv6 address
// (jwks=http://[::1]:8080/jwks) needs no quoting.
func splitExecSpec(s string) (options, command string, err error) {
	if rest, ok := strings.CutPrefix(s, "exec:"); ok {
		return "", rest, nil
	}
	rest, ok := strings.CutPrefix(s, "exec[")
	if !ok {
		return "", "", errors.New("want exec:command or " + execSpecHelp)
	}
	depth := 1
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '[':
			depth++
		case ']':
			if depth--; depth == 0 {
				command, ok := strings.CutPrefix(rest[i+1:], ":")
				if !ok {
					return "", "", errors.New("no : after the options in exec[...]; want " + execSpecHelp)
				}
				return rest[:i], command, nil
			}
		}
	}
	return "", "", errors.New("exec[ has no closing ]; want " + execSpecHelp)
}

// parseExecSpec reads an exec spec: exec:COMMAND, or exec[OPTIONS]:COMMAND
// whose OPTIONS are key=value pairs joined with commas (jwks, issuer_url).
func parseExecSpec(s string) (ExecConfig, error) {
	options, command, err := splitExecSpec(s)
	if err != nil {
		return ExecConfig{}, err
	}
	var cfg ExecConfig
	err = parsePairs(options, func(key, val string) error {
		if !isKeyOption(key) {
			return fmt.Errorf("unknown option %s in exec[...]; want %s", printableName(key), keyOptionNames)
		}
		return cfg.Keys.setOption(key, val)
	})
	if err != nil {
		return ExecConfig{}, err
	}
	if cfg.Argv, err = splitArgs(command); err != nil {
		return ExecConfig{}, err
	}
	if len(cfg.Argv) == 0 {
		return ExecConfig{}, errors.New("no command after exec:")
	}
	return cfg, nil
}
