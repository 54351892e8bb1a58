package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"
)

// flagError rewrites a flag parser's "invalid argument" error for a
// number, duration or boolean flag, which ends in a Go parser's message
// (strconv.ParseFloat: parsing "abc": invalid syntax), as what the flag
// wants; other errors (a --session's, say) are returned as they are.
func flagError(err error) error {
	var iv *pflag.InvalidValueError
	if !errors.As(err, &iv) {
		return err
	}
	f := iv.GetFlag()
	want := ""
	switch f.Value.Type() {
	case "float64", "float32":
		want = "a number, such as " + example(f, "1.5")
	case "uint", "uint8", "uint16", "uint32", "uint64":
		want = "a whole number from 0 up, such as " + example(f, "7")
	case "int", "int8", "int16", "int32", "int64":
		want = "a whole number, such as " + example(f, "7")
	case "duration":
		want = "a duration, such as " + example(f, "30s")
	case "bool":
		want = "true or false"
	default:
		return err
	}
	return fmt.Errorf("--%s %q: want %s", f.Name, iv.GetValue(), want)
}

// example is f's default as an example of its values, or fallback when the
// default is zero (which says nothing).
func example(f *pflag.Flag, fallback string) string {
	switch f.DefValue {
	case "", "0", "0s":
		return fallback
	}
	return f.DefValue
}
