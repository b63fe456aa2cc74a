package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/plan"
)

// settingsData is the Settings page.
type settingsData struct {
	base
	Plan          plan.Plan
	Notice        string
	Problem       string
	MaxRetention  int
	RetentionDays string
}

func (h *Web) settings(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "settings", "Settings")
	if o == nil {
		return
	}
	h.showSettings(w, r, o, settingsData{Notice: takeNotice(w, r)}, http.StatusOK)
}

func (h *Web) showSettings(w http.ResponseWriter, r *http.Request, o *orgView, d settingsData, status int) {
	d.base = o.Base
	d.Plan, _ = plan.Lookup(o.Base.Org.Plan)
	d.MaxRetention = int(d.Plan.MaxRetention / (24 * time.Hour))
	if d.RetentionDays == "" && o.Base.Org.RetentionDays > 0 {
		d.RetentionDays = strconv.Itoa(o.Base.Org.RetentionDays)
	}
	h.render(w, r, status, "settings", d)
}

func (h *Web) saveSettings(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org := r.PathValue("org")
	var u client.OrgUpdate
	name := strings.TrimSpace(r.PostFormValue("name"))
	tz := strings.TrimSpace(r.PostFormValue("time_zone"))
	u.Name, u.TimeZone = &name, &tz
	mfa := r.PostFormValue("require_mfa") == "on"
	u.RequireMFA = &mfa
	days := strings.TrimSpace(r.PostFormValue("retention_days"))
	if days != "" {
		n, err := strconv.Atoi(days)
		if err != nil {
			n = -1 // the API says what is allowed
		}
		u.RetentionDays = &n
	}
	_, err := f.api.UpdateOrg(r.Context(), org, u)
	if err == nil {
		done(w, r, orgPath(org, "/settings"), "Settings saved.")
		return
	}
	o := h.orgPage(w, r, "settings", "Settings")
	if o == nil {
		return
	}
	h.refused(w, r, err, func(p string) {
		h.showSettings(w, r, o, settingsData{Problem: p, RetentionDays: days}, http.StatusBadRequest)
	})
}
