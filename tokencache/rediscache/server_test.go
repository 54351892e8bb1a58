package rediscache

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRedisEnv names the Redis the tests use (redis://127.0.0.1:PORT/0, as
// .ci/run exports it). Without it, the tests start their own redis-server
// when one is on PATH, and skip otherwise.
const TestRedisEnv = "TOKENTOP_TEST_REDIS"

// redisServer is a redis-server the tests started: no persistence, loopback only.
type redisServer struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// startRedis starts redis-server on a free loopback port and waits, up to
// 10s, for its "Ready to accept connections" line. A port taken between the
// probe and the start is retried twice.
func startRedis() (*redisServer, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	var last error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := startRedisOn(path, port)
		if err == nil {
			return s, nil
		}
		last = err
	}
	return nil, last
}

func startRedisOn(path string, port int) (*redisServer, error) {
	cmd := exec.Command(path, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--logfile", "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &redisServer{url: fmt.Sprintf("redis://127.0.0.1:%d/0", port), cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	var log strings.Builder
	var mu sync.Mutex
	go func() { // ends when the process exits and its stdout closes
		defer close(s.done)
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			if log.Len() < 4096 {
				log.WriteString(sc.Text() + "\n")
			}
			mu.Unlock()
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				once.Do(func() { close(ready) })
			}
		}
		cmd.Wait()
	}()
	select {
	case <-ready:
		return s, nil
	case <-s.done:
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Errorf("redis-server on port %d exited before it was ready:\n%s", port, log.String())
	case <-time.After(10 * time.Second):
		s.stop()
		return nil, fmt.Errorf("redis-server on port %d was not ready within 10s", port)
	}
}

// stop kills the server and waits for it to exit.
func (s *redisServer) stop() {
	s.cmd.Process.Kill()
	<-s.done
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var shared struct {
	once   sync.Once
	server *redisServer
	url    string
	err    error
}

// redisURL returns the URL of the Redis the tests share, starting one on the
// first call if needed, or skips the test saying why.
func redisURL(t *testing.T) string {
	t.Helper()
	shared.once.Do(func() {
		if u := os.Getenv(TestRedisEnv); u != "" {
			shared.url = u
			return
		}
		shared.server, shared.err = startRedis()
		if shared.server != nil {
			shared.url = shared.server.url
		}
	})
	switch {
	case errors.Is(shared.err, exec.ErrNotFound):
		t.Skipf("no Redis: set %s=redis://127.0.0.1:PORT/0 or put redis-server on PATH (Debian: apt-get install redis-server)", TestRedisEnv)
	case shared.err != nil:
		t.Fatalf("starting redis-server: %v", shared.err)
	}
	return shared.url
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.server != nil {
		shared.server.stop()
	}
	os.Exit(code)
}
