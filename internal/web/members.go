package web

import (
	"net/http"
	"strings"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
)

// membersData is the Members & roles page.
type membersData struct {
	base
	Members []client.Member
	Roles   []client.Role
	Notice  string
	Problem string
	Invited *client.Invitation // the invitation just made, its link shown once
	Email   string
	Role    string
	// Permissions are those a custom role may grant.
	Permissions []string
}

func (h *Web) members(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "members", "Members")
	if o == nil {
		return
	}
	h.showMembers(w, r, o, membersData{Notice: takeNotice(w, r)}, http.StatusOK)
}

func (h *Web) showMembers(w http.ResponseWriter, r *http.Request, o *orgView, d membersData, status int) {
	d.base = o.Base
	ctx, org := r.Context(), o.Base.Org.ID
	var err error
	if d.Members, err = o.api.Members(ctx, org); err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	if d.Roles, err = o.api.Roles(ctx, org); err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	for _, p := range auth.Permissions {
		d.Permissions = append(d.Permissions, string(p))
	}
	h.render(w, r, status, "members", d)
}

func (h *Web) invite(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org := r.PathValue("org")
	in := client.InvitationCreate{Email: strings.TrimSpace(r.PostFormValue("email")), Role: r.PostFormValue("role")}
	inv, err := f.api.Invite(r.Context(), org, in)
	o := h.orgPage(w, r, "members", "Members")
	if o == nil {
		return
	}
	if err != nil {
		h.refused(w, r, err, func(p string) {
			h.showMembers(w, r, o, membersData{Problem: p, Email: in.Email, Role: in.Role}, http.StatusBadRequest)
		})
		return
	}
	h.showMembers(w, r, o, membersData{Invited: inv, Notice: "Invitation made for " + inv.Email + "."}, http.StatusOK)
}

func (h *Web) changeRole(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org, id := r.PathValue("org"), r.PathValue("id")
	m, err := f.api.SetRole(r.Context(), org, id, r.PostFormValue("role"))
	h.afterChange(w, r, err, orgPath(org, "/members"), func() string { return m.Email + " is now " + m.Role + "." })
}

func (h *Web) removeMember(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org, id := r.PathValue("org"), r.PathValue("id")
	err := f.api.RemoveMember(r.Context(), org, id)
	h.afterChange(w, r, err, orgPath(org, "/members"), func() string { return "Member removed." })
}

func (h *Web) createRole(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org := r.PathValue("org")
	in := client.RoleCreate{Name: strings.TrimSpace(r.PostFormValue("name")), Permissions: r.PostForm["permission"]}
	if in.Permissions == nil {
		in.Permissions = []string{}
	}
	ro, err := f.api.CreateRole(r.Context(), org, in)
	h.afterChange(w, r, err, orgPath(org, "/members"), func() string { return "Role " + ro.Name + " created." })
}

// afterChange answers a change: back to page with a notice, or with the
