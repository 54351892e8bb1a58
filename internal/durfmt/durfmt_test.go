package durfmt

import (
	"math"
	"testing"
	"time"
)

// Issue 14, bug 7: "retry after 4m26.52039228s", "gap of 1m18.7s" beside
// "13.67s", "8784h0m0s".
func TestFormatRoundsToWhatAReaderCanUse(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{340 * time.Nanosecond, "0s"},
		{312 * time.Microsecond, "312µs"},
		{2345 * time.Microsecond, "2.3ms"},
		{41*time.Millisecond + 400*time.Microsecond, "41ms"},
		{4523*time.Millisecond + 900*time.Microsecond, "4.524s"},
		{13670 * time.Millisecond, "14s"},
		{78700 * time.Millisecond, "1m19s"},
		{4*time.Minute + 26520392280, "4m27s"},
		{time.Minute, "1m"},
		{50 * time.Minute, "50m"},
		{time.Hour, "1h"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{90 * time.Minute, "1h30m"},
		{24 * time.Hour, "24h"},
		{8784 * time.Hour, "366 days"},
		{50*time.Hour + 30*time.Minute, "2 days 2h30m"},
		{-1500 * time.Millisecond, "-1.5s"},
		{math.MaxInt64, "106751 days 23h47m16s"},
		{math.MinInt64, "-106751 days 23h47m16s"},
	} {
		if got := Format(tc.d); got != tc.want {
			t.Errorf("Format(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
