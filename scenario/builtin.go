package scenario

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed scenarios/*.json
var builtinFiles embed.FS

// builtinNames lists the built-in scenarios, the default first.
var builtinNames = []string{"demo", "outage", "short-lived", "signout", "herd", "restart"}

// BuiltinNames returns the names of the built-in scenarios, "demo" (the
// default) first.
func BuiltinNames() []string { return append([]string(nil), builtinNames...) }

// Builtin returns the built-in scenario with that name. The built-ins are
// scenario files embedded in the binary (scenario/scenarios/), parsed like
// any other, so they double as examples of the format.
func Builtin(name string) (Scenario, error) {
	if !contains(builtinNames, name) {
		return Scenario{}, fmt.Errorf("no built-in scenario %q; the built-ins are %s (or give a scenario file's path)",
			name, strings.Join(builtinNames, ", "))
	}
	file := "scenarios/" + name + ".json"
	data, err := builtinFiles.ReadFile(file)
	if err != nil {
		return Scenario{}, fmt.Errorf("built-in scenario %s: %w", name, err)
	}
	return ParseScenario(file, data)
}
