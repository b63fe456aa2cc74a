package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/steleaudit/stele/client"
)

// The link of an invitation opens this page: a new member chooses a name
// and password, someone with an account gives its password. The token
// stays in the path of this page alone (no-referrer keeps it from other
// sites), and works once.

type invitationData struct {
	base
	Token string
	Name  string
	Error string
	Done  *client.InvitationAccepted
}

func (h *Web) invitationPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "invitation", invitationData{base: base{Title: "Join an organization"}, Token: r.PathValue("token")})
}

func (h *Web) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	d := invitationData{base: base{Title: "Join an organization"}, Token: r.PathValue("token"), Name: strings.TrimSpace(r.PostFormValue("name"))}
	in := client.InvitationAccept{Name: d.Name, Password: r.PostFormValue("password")}
	res, err := h.as(w, r, nil).AcceptInvitation(r.Context(), d.Token, in)
	var ce *client.Error
	switch {
	case err == nil:
		d.Done = res
		h.render(w, r, http.StatusOK, "invitation", d)
	case errors.As(err, &ce) && ce.Status < 500:
		d.Error = ce.Message
		if ce.Status == http.StatusNotFound {
			d.Error = "This invitation is not valid: it was used, it expired, or the link is incomplete. Ask for a new one."
		}
		h.render(w, r, ce.Status, "invitation", d)
	default:
		h.fail(w, r, d.base, err)
	}
}
