package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SessionKey is a key a --session value may hold, with what it takes.
type SessionKey struct{ Key, What string }

// SessionKeys returns the keys a --session value may hold, in the order
// --help lists them.
func SessionKeys() []SessionKey { return slices.Clone(sessionKeys) }

var sessionKeys = []SessionKey{
	{"name", "a unique name (default: the identity)"},
	{"identity", "the user the tokens are for (default: the name)"},
	{"scopes", "scopes separated by '+', e.g. chat+voip (default chat+voip)"},
	{"policy", "tokentop, js, dotnet, java or python (default: --policy, else tokentop)"},
	{"proactive", "true or false: refresh before expiry (default true; false with static)"},
	{"static", "true or false: one token, never refreshed"},
	{"initial", "true: seed the credential with a token issued at start"},
	{"lifetime", "the token lifetime asked for, 1m to 8784h, such as 90m (default 1h)"},
	{"callers", "how many simulated callers, 0 or more (default 1)"},
	{"interval", "a duration between one caller's calls, such as 30s (default 1m)"},
	{"resource", "true: send each token to the resource check (/api/me)"},
	{"resource_url", "the resource check's URL, https:// or loopback http:// (default: the in-process fake's /api/me)"},
	{"count", "N: N sessions named name-1 ... name-N, identities identity-1 ... identity-N (default 1)"},
	{"teams", "true: a two-stage Teams session"},
	{"persist", "true: keep its tokens in the token cache and resume from one still valid"},
	{"renewal", "Teams: the upstream cache's renewal offset, such as 5m"},
	{"force-under", "Teams: force a new upstream token under this validity, such as 10m"},
	{"upstream-ttl", "Teams: the upstream token's lifetime, such as 1h"},
}

// sessionKeyWhat is what key takes, or "" for an unknown key.
func sessionKeyWhat(key string) string {
	for _, k := range sessionKeys {
		if k.Key == key {
			return k.What
		}
	}
	return ""
}

// boolKeys may stand alone in a --session value: "static" is "static=true".
var boolKeys = map[string]bool{"proactive": true, "static": true, "initial": true, "resource": true, "teams": true, "persist": true}

// ParseSessionFlags turns a --session value, name=alice,identity=alice,
// policy=js,count=3,..., into its specs: one, or count numbered copies as a
// scenario file's count makes. defaultPolicy applies when the value names
// none. Keys left out take NewSpec's defaults, as a file's sessions and the
// screen's new-session form do, except that a static session is not
// proactive. An error quotes the value (cut short if long) and names the key
// at fault.
func ParseSessionFlags(value, defaultPolicy string) ([]Spec, error) {
	quoted := strconv.Quote(elide(value, 200))
	spec, count, err := parseSessionFlag(value, defaultPolicy, quoted)
	if err != nil {
		return nil, err
	}
	switch {
	case count < 1 || count > MaxScenarioSessions:
		return nil, fmt.Errorf("--session %s: count=%d: want 1 to %d sessions", quoted, count, MaxScenarioSessions)
	case spec.Callers > 0 && count > MaxScenarioCallers/spec.Callers:
		return nil, fmt.Errorf("--session %s: %d callers in each of %d sessions is over the limit of %d simulated callers; use fewer callers or a smaller count",
			quoted, spec.Callers, count, MaxScenarioCallers)
	}
	specs := replicate(spec, count)
	if last := specs[len(specs)-1]; len(last.Name) > MaxNameLen || len(last.Identity) > MaxNameLen {
		return nil, fmt.Errorf("--session %s: count=%d: the copies' suffix %q brings a name or identity over the limit of %d bytes; shorten name and identity",
			quoted, count, fmt.Sprintf("-%d", count), MaxNameLen)
	}
	return specs, nil
}

// ParseSessionFlag is ParseSessionFlags for a value that declares one
// session: a count other than 1 is an error.
func ParseSessionFlag(value, defaultPolicy string) (Spec, error) {
	quoted := strconv.Quote(elide(value, 200))
	spec, count, err := parseSessionFlag(value, defaultPolicy, quoted)
	if err == nil && count != 1 {
		err = fmt.Errorf("--session %s: count=%d: this takes one session", quoted, count)
	}
	return spec, err
}

// parseSessionFlag parses a --session value into its spec and count.
func parseSessionFlag(value, defaultPolicy, quoted string) (Spec, int, error) {
	spec := NewSpec()
	count := 1
	spec.Policy = defaultPolicy
	var teams TeamsSpec
	var isTeams, proactiveSet bool
	for _, field := range strings.Split(value, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		key, val, ok := strings.Cut(field, "=")
		if !ok && boolKeys[key] { // a bare boolean key means true: static, proactive...
			val, ok = "true", true
		}
		if !ok {
			return spec, count, fmt.Errorf("--session %s: %q is not key=value (keys: %s)", quoted, elide(field, 100), keyList())
		}
		var err error
		switch key {
		case "name":
			spec.Name = val
		case "identity":
			spec.Identity = val
		case "scopes":
			spec.Scopes = strings.FieldsFunc(val, func(r rune) bool { return r == '+' || r == ' ' })
		case "policy":
			spec.Policy = val
		case "proactive":
			spec.Proactive, err = strconv.ParseBool(val)
			proactiveSet = true
		case "static":
			spec.Static, err = strconv.ParseBool(val)
		case "initial":
			spec.IssueInitial, err = strconv.ParseBool(val)
		case "resource":
			spec.Resource, err = strconv.ParseBool(val)
		case "persist":
			spec.Persist, err = strconv.ParseBool(val)
		case "lifetime":
			if spec.Lifetime, err = time.ParseDuration(val); err == nil {
				if err := CheckRange("lifetime", val, spec.Lifetime, MinLifetime, MaxLifetime); err != nil {
					return spec, count, fmt.Errorf("--session %s: %w", quoted, err)
				}
			}
		case "resource_url":
			spec.ResourceURL = val
		case "count":
			count, err = strconv.Atoi(val)
		case "interval":
			spec.CallInterval, err = time.ParseDuration(val)
		case "callers":
			spec.Callers, err = strconv.Atoi(val)
		case "teams":
			isTeams, err = strconv.ParseBool(val)
		case "renewal":
			isTeams = true
			teams.RenewalOffset, err = time.ParseDuration(val)
		case "force-under":
			isTeams = true
			teams.ForceRefreshUnder, err = time.ParseDuration(val)
		case "upstream-ttl":
			isTeams = true
			teams.UpstreamLifetime, err = time.ParseDuration(val)
		default:
			return spec, count, fmt.Errorf("--session %s: unknown key %q (keys: %s)", quoted, elide(key, 100), keyList())
		}
		if err != nil {
			return spec, count, fmt.Errorf("--session %s: %s=%q: want %s", quoted, key, elide(val, 100), sessionKeyWhat(key))
		}
	}
	if !proactiveSet {
		spec.Proactive = DefaultProactive && !spec.Static
	}
	if isTeams {
		spec.Teams = &teams
	}
	if spec.Identity == "" {
		spec.Identity = spec.Name
	}
	if spec.Name == "" {
		spec.Name = spec.Identity
	}
	if err := spec.Validate(); err != nil {
		return spec, count, fmt.Errorf("--session %s: %w", quoted, err)
	}
	return spec, count, nil
}

// keyList names every --session key, in --help's order.
func keyList() string {
	keys := make([]string, len(sessionKeys))
	for i, k := range sessionKeys {
		keys[i] = k.Key
	}
	return strings.Join(keys, ", ")
}
