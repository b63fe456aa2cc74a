package web

import (
	"net/http"
	"strings"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
)

// keysData is the API keys page.
type keysData struct {
	base
	Keys    []client.APIKey
	Scopes  []string
	Created *client.APIKey // the key just made, shown this once
	Notice  string
	Problem string
}

func (h *Web) keys(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "keys", "API keys")
	if o == nil {
		return
	}
	h.showKeys(w, r, o, keysData{Notice: takeNotice(w, r)}, http.StatusOK)
}

func (h *Web) showKeys(w http.ResponseWriter, r *http.Request, o *orgView, d keysData, status int) {
	d.base = o.Base
	for _, s := range auth.Scopes {
		d.Scopes = append(d.Scopes, string(s))
	}
	var err error
	if d.Keys, err = o.api.APIKeys(r.Context(), o.Base.Org.ID); err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	h.render(w, r, status, "keys", d)
}

func (h *Web) createKey(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org := r.PathValue("org")
	k, err := f.api.CreateAPIKey(r.Context(), org, client.APIKeyCreate{Name: strings.TrimSpace(r.PostFormValue("name")), Scopes: r.PostForm["scope"]})
	o := h.orgPage(w, r, "keys", "API keys")
	if o == nil {
		return
	}
	if err != nil {
		h.refused(w, r, err, func(p string) { h.showKeys(w, r, o, keysData{Problem: p}, http.StatusBadRequest) })
		return
	}
	// The key is shown in this answer only; it is not in any URL.
	h.showKeys(w, r, o, keysData{Created: k}, http.StatusOK)
}

func (h *Web) revokeKey(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org, id := r.PathValue("org"), r.PathValue("id")
	k, err := f.api.RevokeAPIKey(r.Context(), org, id)
	h.afterChange(w, r, err, orgPath(org, "/api-keys"), func() string { return "Key " + k.Name + " revoked." })
}
