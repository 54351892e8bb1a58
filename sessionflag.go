package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"tokentop/session"
)

// sessionKeys are the keys a --session value may hold, with what each takes.
var sessionKeys = map[string]string{
	"name":         "a unique name",
	"identity":     "the user the tokens are for",
	"scopes":       "scopes separated by '+', e.g. chat+voip",
	"policy":       "tokentop, js, dotnet, java or python",
	"proactive":    "true or false",
	"static":       "true or false",
	"initial":      "true: seed the credential with a token issued at start",
	"lifetime":     "a duration such as 1h or 90m",
	"callers":      "how many simulated callers (0 or more)",
	"interval":     "a duration between one caller's calls, such as 30s",
	"resource":     "true: send each token to the resource check (/api/me)",
	"teams":        "true: a two-stage Teams session",
	"renewal":      "Teams: the upstream cache's renewal offset, such as 5m",
	"force-under":  "Teams: force a new upstream token under this validity, such as 10m",
	"upstream-ttl": "Teams: the upstream token's lifetime, such as 1h",
}

// boolKeys may stand alone in a --session value: "static" is "static=true".
var boolKeys = map[string]bool{"proactive": true, "static": true, "initial": true, "resource": true, "teams": true}

// parseSessionFlag turns name=alice,identity=alice,policy=js,... into a Spec.
// defaultPolicy applies when the value names none.
func parseSessionFlag(value, defaultPolicy string) (session.Spec, error) {
	spec := session.Spec{Policy: defaultPolicy}
	var teams session.TeamsSpec
	var isTeams bool
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
			return spec, fmt.Errorf("--session %q: %q is not key=value (keys: %s)", value, field, keyList())
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
		case "static":
			spec.Static, err = strconv.ParseBool(val)
		case "initial":
			spec.IssueInitial, err = strconv.ParseBool(val)
		case "resource":
			spec.Resource, err = strconv.ParseBool(val)
		case "lifetime":
			spec.Lifetime, err = time.ParseDuration(val)
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
			return spec, fmt.Errorf("--session %q: unknown key %q (keys: %s)", value, key, keyList())
		}
		if err != nil {
			return spec, fmt.Errorf("--session %q: %s=%q: want %s", value, key, val, sessionKeys[key])
		}
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
		return spec, fmt.Errorf("--session %q: %w", value, err)
	}
	return spec, nil
}

func keyList() string {
	keys := make([]string, 0, len(sessionKeys))
	for k := range sessionKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
