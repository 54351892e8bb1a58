package fakeissuer

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"tokentop/issuer"
)

func TestAdminFaultsInjectListAndClearOverHTTP(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	srv := serve(t, iss)
	resp := postJSON(t, srv.URL+PathAdminFaults, `{"kind":"fail","status":503,"count":2,"retryAfter":"4s"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("POST: %d %s", resp.StatusCode, readAll(t, resp))
	}
	created := decodeBody[faultJSON](t, resp.Body)
	if created.ID == 0 || time.Duration(created.RetryAfter) != 4*time.Second || created.Description == "" {
		t.Errorf("created = %+v", created)
	}
	resp = postJSON(t, srv.URL+PathAdminFaults, `{"kind":"latency","latency":1.5,"identity":"nobody"}`)
	if resp.StatusCode != 201 || time.Duration(decodeBody[faultJSON](t, resp.Body).Latency) != 1500*time.Millisecond {
		t.Errorf("latency as seconds: %d", resp.StatusCode)
	}
	_, err := iss.Issue(context.Background(), issuer.Request{Identity: "a"})
	if se, ok := errorsAs[*StatusError](err); !ok || se.Status != 503 {
		t.Errorf("Issue after POSTed fault: %v, want 503", err)
	}
	got, _ := http.Get(srv.URL + PathAdminFaults)
	list := decodeBody[faultsResponse](t, got.Body)
	got.Body.Close()
	if len(list.Faults) != 2 || list.Faults[0].Count != 1 {
		t.Errorf("GET = %+v, want 2 faults, the first with 1 call left", list)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+PathAdminFaults, nil)
	del, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	del.Body.Close()
	if del.StatusCode != 200 || len(iss.Faults()) != 0 {
		t.Errorf("DELETE = %d, faults left %v", del.StatusCode, iss.Faults())
	}
}

func TestAdminFaultsRefusesBadFaultsWithJSONErrors(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	h := iss.Handler()
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"kind":"explode"}`, 400, "InvalidFault"},
		{`{"kind":"down"}`, 400, "InvalidFault"},
		{`{"kind":"latency","latency":"soon"}`, 400, "InvalidRequestBody"},
		{`{"kind":"fail","colour":"red"}`, 400, "InvalidRequestBody"},
		{`{"kind":"fail","latency":1e300}`, 400, "InvalidRequestBody"},
		{`[`, 400, "InvalidRequestBody"},
	} {
		w := call(h, http.MethodPost, PathAdminFaults, "application/json", tc.body)
		if w.Code != tc.status || errorCode(t, w.Body.Bytes()) != tc.code {
			t.Errorf("%s: = %d %s, want %d %s", tc.body, w.Code, w.Body, tc.status, tc.code)
		}
	}
	if w := call(h, http.MethodPut, PathAdminFaults, "", ""); w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD, POST, DELETE" {
		t.Errorf("PUT = %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

func TestAdminRemovesOneFaultByID(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	h := iss.Handler()
	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultHang})
	id := iss.Faults()[0].ID
	for _, tc := range []struct {
		path   string
		status int
	}{
		{PathAdminFaults + "/abc", 400},
		{PathAdminFaults + "/999", 404},
		{PathAdminFaults + "/" + strconv.Itoa(id), 200},
		{PathAdminFaults + "/" + strconv.Itoa(id), 404},
	} {
		if w := call(h, http.MethodDelete, tc.path, "", ""); w.Code != tc.status || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Errorf("DELETE %s = %d %s, want %d", tc.path, w.Code, w.Body, tc.status)
		}
	}
}

func TestAdminStatsAndRevoke(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	h := iss.Handler()
	_, _ = iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if w := call(h, http.MethodPost, PathAdminRevoke, "application/json", `{"identity":""}`); w.Code != 400 {
		t.Errorf("empty identity: %d", w.Code)
	}
	if w := call(h, http.MethodPost, PathAdminRevoke, "application/json", `{"identity":"8:acs:none_1"}`); w.Code != 404 {
		t.Errorf("unknown ACS identity: %d %s", w.Code, w.Body)
	}
	if w := call(h, http.MethodPost, PathAdminRevoke, "application/json", `{"identity":"alice"}`); w.Code != 200 {
		t.Errorf("revoke: %d", w.Code)
	}
	w := call(h, http.MethodGet, PathAdminStats, "", "")
	s := decodeBody[Stats](t, w.Body)
	if w.Code != 200 || s.Issued != 1 || s.Revoked != 1 || len(s.Identities) != 1 || s.Identities[0].ID != "alice" {
		t.Errorf("stats = %d %+v", w.Code, s)
	}
}
