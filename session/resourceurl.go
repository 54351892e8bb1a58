package session

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// resourceTimeout bounds one call of a session's resource URL.
const resourceTimeout = 10 * time.Second

// maxResourceBody is how much of a resource's answer is read, for its
// reason when it refuses.
const maxResourceBody = 4 << 10

// urlResource is the resource check of a session that names its URL
// (Spec.ResourceURL, checked by Spec.Validate to be https or loopback):
// a GET with the token as "Authorization: Bearer"; a 2xx answer accepts it.
// It keeps no idle connection, so that nothing of it outlives a call.
type urlResource struct {
	url    string
	client *http.Client
}

func newURLResource(url string) urlResource {
	return urlResource{url: url, client: &http.Client{
		Timeout:   resourceTimeout,
		Transport: &http.Transport{DisableKeepAlives: true, ResponseHeaderTimeout: resourceTimeout},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a token is never carried elsewhere
		},
	}}
}

// CheckToken calls the URL with raw as a bearer token.
func (u urlResource) CheckToken(ctx context.Context, raw string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url, nil)
	if err != nil {
		return fmt.Errorf("resource %s: %w", u.url, err)
	}
	req.Header.Set("Authorization", "Bearer "+raw)
	resp, err := u.client.Do(req)
	if err != nil {
		return fmt.Errorf("resource %s: no answer: %w", u.url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResourceBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	var oauth struct {
		Description string `json:"error_description"`
	}
	why := resp.Status
	if json.Unmarshal(body, &oauth) == nil && oauth.Description != "" {
		why += ": " + strings.ToValidUTF8(oauth.Description[:min(len(oauth.Description), 300)], "")
	}
	return fmt.Errorf("resource %s refused the token: %s", u.url, why)
}
