package fakeissuer

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// refreshPolicyJSON is a RefreshPolicy on the admin API; every field is
// optional in a change (POST PathAdminRefresh), which keeps the others.
type refreshPolicyJSON struct {
	Mode             *RefreshMode  `json:"mode,omitempty"`
	ReuseDetection   *bool         `json:"reuse_detection,omitempty"`
	Grace            *jsonDuration `json:"grace,omitempty"`
	IdleLifetime     *jsonDuration `json:"idle_lifetime,omitempty"`
	AbsoluteLifetime *jsonDuration `json:"absolute_lifetime,omitempty"`
	AccessLifetime   *jsonDuration `json:"access_lifetime,omitempty"`
}

// devicePolicyJSON is a DevicePolicy on the admin API, likewise.
type devicePolicyJSON struct {
	Interval     *jsonDuration `json:"interval,omitempty"`
	Expiry       *jsonDuration `json:"expiry,omitempty"`
	ApproveAfter *jsonDuration `json:"approve_after,omitempty"`
	User         *string       `json:"user,omitempty"`
}

// userPoliciesJSON is the body of GET and POST PathAdminRefresh.
type userPoliciesJSON struct {
	Refresh  *refreshPolicyJSON `json:"refresh,omitempty"`
	Device   *devicePolicyJSON  `json:"device,omitempty"`
	Families int                `json:"families,omitempty"` // read-only: families held
}

func toPoliciesJSON(r RefreshPolicy, d DevicePolicy, families int) userPoliciesJSON {
	dur := func(v time.Duration) *jsonDuration { j := jsonDuration(v); return &j }
	return userPoliciesJSON{
		Refresh: &refreshPolicyJSON{Mode: &r.Mode, ReuseDetection: &r.ReuseDetection, Grace: dur(r.Grace),
			IdleLifetime: dur(r.IdleLifetime), AbsoluteLifetime: dur(r.AbsoluteLifetime), AccessLifetime: dur(r.AccessLifetime)},
		Device:   &devicePolicyJSON{Interval: dur(d.Interval), Expiry: dur(d.Expiry), ApproveAfter: dur(d.ApproveAfter), User: &d.User},
		Families: families,
	}
}

// apply changes the fields given in j.
func (j *refreshPolicyJSON) apply(p *RefreshPolicy) {
	if j == nil {
		return
	}
	setIf(&p.Mode, j.Mode)
	setIf(&p.ReuseDetection, j.ReuseDetection)
	setDur(&p.Grace, j.Grace)
	setDur(&p.IdleLifetime, j.IdleLifetime)
	setDur(&p.AbsoluteLifetime, j.AbsoluteLifetime)
	setDur(&p.AccessLifetime, j.AccessLifetime)
}

func (j *devicePolicyJSON) apply(p *DevicePolicy) {
	if j == nil {
		return
	}
	setDur(&p.Interval, j.Interval)
	setDur(&p.Expiry, j.Expiry)
	setDur(&p.ApproveAfter, j.ApproveAfter)
	setIf(&p.User, j.User)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func setDur(dst *time.Duration, v *jsonDuration) {
	if v != nil {
		*dst = time.Duration(*v)
	}
}

// deviceAnswer is the body of POST PathAdminDevice.
type deviceAnswer struct {
	UserCode string `json:"user_code"`
	Action   string `json:"action"` // approve or deny
	User     string `json:"user,omitempty"`
}

func (i *Issuer) userAdminRoutes() {
	i.handle(PathAdminRefresh, guardAdmin(methods{http.MethodGet: i.serveUserPolicies, http.MethodPost: i.serveSetUserPolicies}))
	i.handle(PathAdminFamilies, guardAdmin(methods{http.MethodGet: i.serveFamilies}))
	i.handle(pathAdminFamilyRevoke, guardAdmin(methods{http.MethodPost: i.serveRevokeFamily}))
	i.handle(PathAdminDevice, guardAdmin(methods{http.MethodPost: i.serveAnswerDevice}))
}

func (i *Issuer) familyCount() int {
	s := i.users
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.families)
}

func (i *Issuer) serveUserPolicies(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, toPoliciesJSON(i.RefreshPolicy(), i.DevicePolicy(), i.familyCount()))
}

// serveSetUserPolicies changes the fields given and answers the policies
// in force; a field out of range changes nothing.
func (i *Issuer) serveSetUserPolicies(w http.ResponseWriter, r *http.Request) {
	var req userPoliciesJSON
	if err := decodeJSON(r, &req); err != nil {
		writeIssueError(w, err)
		return
	}
	rp, dp := i.RefreshPolicy(), i.DevicePolicy()
	req.Refresh.apply(&rp)
	req.Device.apply(&dp)
	var err error
	if rp, err = rp.normalize(); err == nil {
		dp, err = dp.normalize()
	}
	if err == nil {
		err = i.SetRefreshPolicy(rp)
	}
	if err == nil {
		err = i.SetDevicePolicy(dp)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidPolicy", err.Error())
		return
	}
	i.serveUserPolicies(w, r)
}

type familiesResponse struct {
	Total    int          `json:"total"`
	Families []FamilyInfo `json:"families"`
}

// serveFamilies lists a page of families: ?offset=N&limit=M as
// PathAdminStats takes them.
func (i *Issuer) serveFamilies(w http.ResponseWriter, r *http.Request) {
	offset, limit, ok := pageQuery(w, r)
	if !ok {
		return
	}
	fams, total, err := i.Families(offset, limit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidQuery", fmt.Sprintf("%s: %v", PathAdminFamilies, err))
		return
	}
	writeJSON(w, http.StatusOK, familiesResponse{Total: total, Families: fams})
}

func (i *Issuer) serveRevokeFamily(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidFamilyID", fmt.Sprintf("family id %.30q is not a number", r.PathValue("id")))
		return
	}
	if !i.RevokeFamily(id) {
		writeError(w, http.StatusNotFound, "FamilyNotFound", fmt.Sprintf("there is no live family %d; GET %s lists them", id, PathAdminFamilies))
		return
	}
	writeJSON(w, http.StatusOK, map[string]uint64{"revoked": id})
}

func (i *Issuer) serveAnswerDevice(w http.ResponseWriter, r *http.Request) {
	var req deviceAnswer
	if err := decodeJSON(r, &req); err != nil {
		writeIssueError(w, err)
		return
	}
	var err error
	switch req.Action {
	case "approve":
		err = i.ApproveDevice(req.UserCode, req.User)
	case "deny":
		err = i.DenyDevice(req.UserCode)
	default:
		writeError(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("action %.20q is unknown; send \"approve\" or \"deny\"", req.Action))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "DeviceSignInNotAnswered", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"answered": req.Action})
}
