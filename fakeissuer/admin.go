package fakeissuer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tokentop/issuer"
)

// faultJSON is an ActiveFault on the wire, in the scenario file's words
// ("fault", "for", "retry_after"): durations as Go duration strings
// ("1.5s", "2m").
type faultJSON struct {
	ID          int                   `json:"id,omitempty"`
	Kind        issuer.FaultKind      `json:"fault"`
	Identity    string                `json:"identity,omitempty"`
	Count       int                   `json:"count,omitempty"`
	Status      int                   `json:"status,omitempty"`
	RetryAfter  jsonDuration          `json:"retry_after,omitzero"`
	Latency     jsonDuration          `json:"latency,omitzero"`
	Lifetime    jsonDuration          `json:"lifetime,omitzero"`
	Duration    jsonDuration          `json:"for,omitzero"`
	Rate        int                   `json:"rate,omitempty"`
	Interval    jsonDuration          `json:"interval,omitzero"`
	Burst       int                   `json:"burst,omitempty"`
	Bucket      issuer.ThrottleBucket `json:"bucket,omitempty"`
	Until       time.Time             `json:"until,omitzero"`
	Description string                `json:"description,omitempty"`
}

func toFaultJSON(f ActiveFault) faultJSON {
	return faultJSON{ID: f.ID, Kind: f.Kind, Identity: f.Identity, Count: f.Count, Status: f.Status,
		RetryAfter: jsonDuration(f.RetryAfter), Latency: jsonDuration(f.Latency), Lifetime: jsonDuration(f.Lifetime),
		Duration: jsonDuration(f.Duration), Rate: f.Rate, Interval: jsonDuration(f.Interval), Burst: f.Burst, Bucket: f.Bucket,
		Until: f.Until, Description: f.String()}
}

// faultRequest is the body of POST /admin/faults: a fault as a scenario
// file's timeline step writes it ("fault", "for", "retry_after"), durations
// as strings or numbers of seconds. The admin API's earlier names ("kind",
// "duration", "retryAfter") are still read, and a listed fault's read-only
// fields ignored, so that what GET lists can be posted back.
type faultRequest struct {
	faultJSON
	OldKind       issuer.FaultKind `json:"kind"`
	OldDuration   jsonDuration     `json:"duration"`
	OldRetryAfter jsonDuration     `json:"retryAfter"`
}

// fault returns the fault asked for, or an error when a field is given
// under both its names.
func (r faultRequest) fault() (issuer.Fault, error) {
	fj := r.faultJSON
	for _, alias := range []struct {
		name, old   string
		set, oldSet bool
	}{
		{"fault", "kind", fj.Kind != "", r.OldKind != ""},
		{"for", "duration", fj.Duration != 0, r.OldDuration != 0},
		{"retry_after", "retryAfter", fj.RetryAfter != 0, r.OldRetryAfter != 0},
	} {
		if alias.set && alias.oldSet {
			return issuer.Fault{}, fmt.Errorf("%q and %q are one field (%q is its older name); give %q only", alias.name, alias.old, alias.old, alias.name)
		}
	}
	if fj.Kind == "" {
		fj.Kind = r.OldKind
	}
	if fj.Duration == 0 {
		fj.Duration = r.OldDuration
	}
	if fj.RetryAfter == 0 {
		fj.RetryAfter = r.OldRetryAfter
	}
	if fj.Kind == "" {
		return issuer.Fault{}, fmt.Errorf("say which fault in \"fault\": one of %s", FaultKindNames())
	}
	return fj.fault(), nil
}

// FaultKindNames names every fault kind the admin API (and a scenario
// file) takes, separated by commas, for errors and help.
func FaultKindNames() string {
	kinds := append(issuer.FaultKinds(), issuer.UserGrantFaultKinds()...)
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func (fj faultJSON) fault() issuer.Fault {
	return issuer.Fault{Kind: fj.Kind, Identity: fj.Identity, Count: fj.Count, Status: fj.Status,
		RetryAfter: time.Duration(fj.RetryAfter), Latency: time.Duration(fj.Latency),
		Lifetime: time.Duration(fj.Lifetime), Duration: time.Duration(fj.Duration),
		Rate: fj.Rate, Interval: time.Duration(fj.Interval), Burst: fj.Burst, Bucket: fj.Bucket}
}

// jsonDuration is a time.Duration written as "1m30s" and read from such a
// string or from a number of seconds.
type jsonDuration time.Duration

// MarshalJSON writes the duration as a string.
func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "1m30s" or a number of seconds.
func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: use a Go duration such as 1.5s or 2m", s)
		}
		*d = jsonDuration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration %s: use a string such as \"2m\" or a number of seconds", b)
	}
	if secs > float64(MaxLifetime/time.Second) || secs < -float64(MaxLifetime/time.Second) {
		return fmt.Errorf("duration %s seconds is out of range", b)
	}
	*d = jsonDuration(secs * float64(time.Second))
	return nil
}

type faultsResponse struct {
	Faults []faultJSON `json:"faults"`
}

type revokeRequest struct {
	Identity string `json:"identity"`
}

// adminRoutes registers the admin API, each route behind the site's
// adminGuard.
func (i *Issuer) adminRoutes() {
	i.handle(PathAdminFaults, guardAdmin(methods{
		http.MethodGet:    i.serveListFaults,
		http.MethodPost:   i.serveInjectFault,
		http.MethodDelete: i.serveClearFaults,
	}))
	i.handle(pathAdminFaultByID, guardAdmin(methods{http.MethodDelete: i.serveRemoveFault}))
	i.handle(PathAdminStats, guardAdmin(methods{http.MethodGet: i.serveStats}))
	i.handle(PathAdminRevoke, guardAdmin(methods{http.MethodPost: i.serveRevoke}))
}

func (i *Issuer) serveListFaults(w http.ResponseWriter, r *http.Request) {
	faults := i.Faults()
	resp := faultsResponse{Faults: make([]faultJSON, len(faults))}
	for n, f := range faults {
		resp.Faults[n] = toFaultJSON(f)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (i *Issuer) serveInjectFault(w http.ResponseWriter, r *http.Request) {
	var req faultRequest
	if err := decodeJSON(r, &req); err != nil {
		writeIssueError(w, err)
		return
	}
	fault, err := req.fault()
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidFault", err.Error())
		return
	}
	f, err := i.injectFault(fault)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidFault", err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, toFaultJSON(f))
}

func (i *Issuer) serveClearFaults(w http.ResponseWriter, r *http.Request) {
	n := len(i.Faults())
	i.ClearFaults()
	writeJSON(w, http.StatusOK, map[string]int{"cleared": n})
}

func (i *Issuer) serveRemoveFault(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidFaultID", fmt.Sprintf("fault id %q is not a number", r.PathValue("id")))
		return
	}
	if !i.RemoveFault(id) {
		writeError(w, http.StatusNotFound, "FaultNotFound", fmt.Sprintf("there is no active fault %d; GET %s lists them", id, PathAdminFaults))
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"removed": id})
}

// serveStats answers the totals and a page of identities:
// ?offset=N&limit=M (default 0 and DefaultStatsLimit, M at most
// MaxStatsLimit), so that the answer stays small however many identities
// there are.
func (i *Issuer) serveStats(w http.ResponseWriter, r *http.Request) {
	offset, limit, ok := pageQuery(w, r)
	if !ok {
		return
	}
	s, err := i.StatsPage(offset, limit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidQuery", fmt.Sprintf("%s: %v", PathAdminStats, err))
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// pageQuery reads ?offset=N&limit=M (default 0 and DefaultStatsLimit); on
// failure it has answered the request.
func pageQuery(w http.ResponseWriter, r *http.Request) (offset, limit int, ok bool) {
	q := r.URL.Query()
	offset, limit = 0, DefaultStatsLimit
	for _, p := range []struct {
		name string
		dst  *int
	}{{"offset", &offset}, {"limit", &limit}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "InvalidQuery", fmt.Sprintf("%s=%.20q is not a whole number", p.name, v))
			return 0, 0, false
		}
		*p.dst = n
	}
	return offset, limit, true
}

func (i *Issuer) serveRevoke(w http.ResponseWriter, r *http.Request) {
	var req revokeRequest
	if err := decodeJSON(r, &req); err != nil {
		writeIssueError(w, err)
		return
	}
	if strings.TrimSpace(req.Identity) == "" {
		writeError(w, http.StatusBadRequest, "InvalidIdentity", "the request names no identity; send {\"identity\": \"...\"}")
		return
	}
	if err := i.Revoke(r.Context(), req.Identity); err != nil {
		writeIssueError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"revoked": req.Identity})
}
