package fakeissuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRequestBody is the largest request body the handler reads (64 KiB).
const MaxRequestBody = 64 << 10

// errorBody is the JSON error of every endpoint but the OAuth2 ones, shaped
// like an ACS error: {"error":{"code":"...","message":"..."}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeJSON writes v as a JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do then
}

// writeError writes an ACS-style JSON error.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// writeIssueError writes the error of a failed token request: a
// *StatusError keeps its status and Retry-After; a caller that gave up gets
// 503 (nobody reads it); anything else is a 500.
func writeIssueError(w http.ResponseWriter, err error) {
	if se, ok := errorsAs[*StatusError](err); ok {
		setRetryAfter(w, se.RetryAfter)
		writeError(w, se.Status, se.Code, se.Message)
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		writeError(w, http.StatusServiceUnavailable, "RequestAbandoned", err.Error())
		return
	}
	writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
}

// setRetryAfter sets Retry-After in whole seconds, rounded up.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d <= 0 {
		return
	}
	secs := int64((d + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
}

// decodeJSON reads one JSON object from the request body into dst, refusing
// unknown fields, trailing data and bodies over MaxRequestBody. The
// Content-Type is not checked, so that curl -d works as typed. The error is ready to send with writeIssueError.
func decodeJSON(r *http.Request, dst any) *StatusError {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if err = dec.Decode(&struct{}{}); err == io.EOF {
			return nil
		} else if err == nil {
			err = errors.New("more than one JSON value")
		}
		return jsonError("the request body has data after the JSON object", err)
	}
	return jsonError("the request body is not the JSON object expected", err)
}

func jsonError(what string, err error) *StatusError {
	if mbe, ok := errorsAs[*http.MaxBytesError](err); ok {
		return &StatusError{Status: http.StatusRequestEntityTooLarge, Code: "RequestTooLarge",
			Message: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit), Err: ErrBadRequest}
	}
	var msg string
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		msg = "the request body is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = what + ": it ends too soon"
	case errors.As(err, &syn):
		msg = fmt.Sprintf("%s: invalid JSON at byte %d: %v", what, syn.Offset, err)
	case errors.As(err, &typ):
		msg = fmt.Sprintf("%s: field %q must be %v, not JSON %s", what, typ.Field, typ.Type, typ.Value)
	default:
		msg = fmt.Sprintf("%s: %v", what, err)
	}
	return &StatusError{Status: http.StatusBadRequest, Code: "InvalidRequestBody", Message: msg, Err: ErrBadRequest}
}

// methods serves one handler per HTTP method and answers any other method
// with a JSON 405 and an Allow header. HEAD is served by the GET handler
// (net/http drops the body), as RFC 9110 §9.3.2 asks.
type methods map[string]http.HandlerFunc

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.serve(w, r, func(allow []string) {
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", methodNotAllowed(r, allow))
	})
}

// oauthMethods is methods for an OAuth2 endpoint: a wrong method gets an
// RFC 6749 error body instead of the ACS-style one.
type oauthMethods methods

func (m oauthMethods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	methods(m).serve(w, r, func(allow []string) {
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", methodNotAllowed(r, allow))
	})
}

// serve runs the handler of r's method, or sets Allow and calls refuse.
func (m methods) serve(w http.ResponseWriter, r *http.Request, refuse func(allow []string)) {
	h, ok := m[r.Method]
	if !ok && r.Method == http.MethodHead {
		h, ok = m[http.MethodGet]
	}
	if ok {
		h(w, r)
		return
	}
	allow := make([]string, 0, len(m)+1)
	for _, name := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if _, ok := m[name]; ok || (name == http.MethodHead && m[http.MethodGet] != nil) {
			allow = append(allow, name)
		}
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	refuse(allow)
}

// methodNotAllowed is the message of a 405.
func methodNotAllowed(r *http.Request, allow []string) string {
	return fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))
}

// hygiene wraps the mux: bodies limited to MaxRequestBody, no caching of
// tokens, and a JSON 500 instead of a dropped connection if a handler panics.
func hygiene(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				writeError(w, http.StatusInternalServerError, "InternalError", fmt.Sprintf("the fake issuer failed on %s %s: %v", r.Method, r.URL.Path, p))
			}
		}()
		r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBody)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
