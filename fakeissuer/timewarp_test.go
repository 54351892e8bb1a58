package fakeissuer

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

func TestSixtyTimesWarpMakesAnHourTokenExpireAfterAboutAMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Inside the bubble the real clock is virtual: the loop is paced
		// at 60x over bubble time.
		clk := clock.NewPaced(time.Now(), 60)
		defer clk.Go()()
		iss, err := New(Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Lifetime: 60 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		c := unverifiedClaims(t, tok.Token)
		if got := c.ExpiresAt.Unix() - c.IssuedAt.Unix(); got != 3600 {
			t.Fatalf("exp - iat = %d, want 3600", got)
		}
		time.Sleep(59 * time.Second)
		if _, err := iss.Verify(tok.Token); err != nil {
			t.Fatalf("after 59 real seconds: %v, want still valid", err)
		}
		time.Sleep(time.Second)
		_, err = iss.Verify(tok.Token)
		if !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("after 60 real seconds: err = %v, want ErrTokenExpired", err)
		}
		// exp is a whole second, so the token lapses up to 1/60 s early.
		if d := time.Since(start); d < 59*time.Second || d > 60*time.Second {
			t.Errorf("expired after %v real, want about 60s", d)
		}
	})
}

func TestTimeWarpSpeedChangeMovesExpiryOnTheSameClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewPaced(time.Now(), 60)
		defer clk.Go()()
		iss, _ := New(Options{Clock: clk})
		tok, _ := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Lifetime: 60 * time.Minute})
		time.Sleep(30 * time.Second) // half the token's life
		clk.SetSpeed(1)
		time.Sleep(time.Minute) // one more virtual minute only
		if _, err := iss.Verify(tok.Token); err != nil {
			t.Errorf("after slowing down: %v, want valid (31 of 60 virtual minutes used)", err)
		}
		clk.Advance(30 * time.Minute)
		if _, err := iss.Verify(tok.Token); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("after a 30m jump: %v, want ErrTokenExpired", err)
		}
	})
}
