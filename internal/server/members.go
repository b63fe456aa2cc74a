package server

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/signin"
	"github.com/steleaudit/stele/internal/store"
)

// Members and their roles. Nobody grants what they can't do themselves:
// a role given, or a key minted, holds no permission its giver lacks, and
// only owners make or unmake owners. An organization always keeps an
// owner.

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, c *call) error {
	out := client.MemberList{Members: []client.Member{}}
	err := s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
		ms, err := rd.Members(ctx, c.org)
		if err != nil {
			return err
		}
		for _, m := range ms {
			u, err := rd.User(ctx, m.UserID)
			if err != nil {
				return err
			}
			out.Members = append(out.Members, client.Member{ID: u.ID, Email: u.Email, Name: u.Name, Role: m.Role, CreatedAt: m.CreatedAt})
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// changeRole gives a member another role, and logs member.role_changed
// with the old and new ones.
func (s *Server) changeRole(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.MemberUpdate
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if err := s.mayGrant(r.Context(), c, "role", in.Role); err != nil {
		return err
	}
	return s.changeMember(w, r, c, in.Role)
}

// removeMember takes a member out of the organization, and logs
// member.removed.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.changeMember(w, r, c, "")
}

// changeMember gives the path's member role, or removes them for "". It
// checks, logs, then writes in a transaction that checks again holding
// the organization's head lock, which every change of its members takes,
// so that two owners can't both step down at once. (The log can't be
// written inside that transaction: the ledger takes the lock too.)
func (s *Server) changeMember(w http.ResponseWriter, r *http.Request, c *call, role string) error {
	id := r.PathValue("id")
	var m store.Member
	var u store.User
	check := func(ctx context.Context, rd store.Reader) error {
		var err error
		if m, err = rd.Member(ctx, c.org, id); err != nil {
			return err
		}
		if u, err = rd.User(ctx, id); err != nil {
			return err
		}
		return s.mayChange(ctx, rd, c, m, role)
	}
	if err := s.st.Read(r.Context(), check); err != nil {
		return err
	}
	out := client.Member{ID: u.ID, Email: u.Email, Name: u.Name, Role: role, CreatedAt: m.CreatedAt}
	if role == m.Role {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	target := &client.Target{Type: "user", ID: u.ID, Name: u.Name}
	var err error
	if role == "" {
		err = s.audit(r, c, "member.removed", target, map[string]any{"email": u.Email, "role": m.Role})
	} else {
		err = s.audit(r, c, "member.role_changed", target, map[string]any{"email": u.Email, "old_role": m.Role, "new_role": role})
	}
	if err != nil {
		return err
	}
	err = s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockHead(ctx, c.org); err != nil {
			return err
		}
		if err := check(ctx, tx); err != nil {
			return err
		}
		if role == "" {
			return tx.RemoveMember(ctx, c.org, id)
		}
		return tx.SetRole(ctx, c.org, id, role)
	})
	if err != nil {
		return err
	}
	if role == "" {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// mayChange checks that c may change member m to role ("" to remove):
// only owners touch owners, and the last owner stays.
func (s *Server) mayChange(ctx context.Context, r store.Reader, c *call, m store.Member, role string) error {
	if m.Role != auth.RoleOwner || role == auth.RoleOwner {
		return nil
	}
	if !isOwner(c) {
		return &apiError{status: http.StatusForbidden, code: "forbidden", message: "only an owner may change or remove an owner"}
	}
	ms, err := r.Members(ctx, c.org)
	if err != nil {
		return err
	}
	owners := 0
	for _, o := range ms {
		if o.Role == auth.RoleOwner {
			owners++
		}
	}
	if owners <= 1 {
		return &apiError{status: http.StatusConflict, code: "last_owner",
			message: "an organization keeps at least one owner: make another member owner first"}
	}
	return nil
}

// isOwner reports whether c's caller acts with an owner's power: the
// platform, or a person who is an owner.
func isOwner(c *call) bool {
	return c.p.Platform || c.p.User != nil && c.p.Role == auth.RoleOwner
}

// mayGrant checks that role exists in c's organization and that c may
// give it: an owner's only if c is an owner, any other only if it grants
// nothing c can't do.
func (s *Server) mayGrant(ctx context.Context, c *call, field, role string) error {
	if role == "" {
		return invalid(field, "a role is needed: owner, admin, member or one of the organization's roles")
	}
	if role == auth.RoleOwner && !isOwner(c) {
		return &apiError{status: http.StatusForbidden, code: "forbidden", field: field, message: "only an owner may make an owner"}
	}
	perms, err := store.ReadValue(ctx, s.st, func(ctx context.Context, r store.Reader) ([]auth.Permission, error) {
		return auth.RolePermissions(ctx, r, c.org, role)
	})
	if errors.Is(err, store.ErrNotFound) {
		return invalid(field, "no such role: roles are owner, admin, member and the organization's own")
	}
	if err != nil {
		return err
	}
	return mayGive(c, field, perms)
}

// mayGive checks that c holds every one of perms.
func mayGive(c *call, field string, perms []auth.Permission) error {
	for _, p := range perms {
		if !c.p.Can(c.org, p) {
			return &apiError{status: http.StatusForbidden, code: "forbidden", field: field,
				message: "you can't give a permission you don't have: " + string(p)}
		}
	}
	return nil
}

// checkEmail validates the email address in field and returns its normal
// form.
func checkEmail(field, email string) (string, error) {
	e := signin.NormalEmail(email)
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || len(e) > 254 || !strings.Contains(e, "@") {
		return "", invalid(field, "not an email address, such as alice@example.com")
	}
	return e, nil
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.RoleCreate
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	// A role name has an organization id's form: plain, in URLs and logs.
	if event.ValidOrg(in.Name) != nil {
		return invalid("name", "a role name is 1 to 64 of a-z and 0-9, with - _ . inside")
	}
	if _, ok := auth.BuiltinPermissions(in.Name); ok {
		return &apiError{status: http.StatusConflict, code: "conflict", field: "name", message: "a built-in role has this name"}
	}
	perms, err := auth.ParsePermissions(in.Permissions)
	if err != nil {
		return invalid("permissions", err.Error())
	}
	if err := mayGive(c, "permissions", perms); err != nil {
		return err
	}
	ro := store.Role{Org: c.org, Name: in.Name, Permissions: in.Permissions, CreatedAt: s.cfg.Now().UTC()}
	err = s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
		if _, err := rd.Role(ctx, c.org, in.Name); !errors.Is(err, store.ErrNotFound) {
			return cmp.Or(err, store.ErrConflict)
		}
		return nil
	})
	if err == nil {
		err = s.audit(r, c, "role.created", &client.Target{Type: "role", ID: in.Name},
			map[string]any{"permissions": in.Permissions})
	}
	if err == nil {
		err = s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
			return tx.CreateRole(ctx, ro)
		})
	}
	if errors.Is(err, store.ErrConflict) {
		return &apiError{status: http.StatusConflict, code: "conflict", field: "name", message: "the organization has a role of this name"}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, roleJSON(ro.Name, perms, false))
	return nil
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request, c *call) error {
	out := client.RoleList{Roles: []client.Role{}}
	for _, name := range auth.BuiltinRoles {
		perms, _ := auth.BuiltinPermissions(name)
		out.Roles = append(out.Roles, roleJSON(name, perms, true))
	}
	err := s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
		roles, err := rd.Roles(ctx, c.org)
		for _, ro := range roles {
			out.Roles = append(out.Roles, client.Role{Name: ro.Name, Permissions: append([]string{}, ro.Permissions...)})
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func roleJSON(name string, perms []auth.Permission, builtin bool) client.Role {
	out := client.Role{Name: name, Permissions: []string{}, Builtin: builtin}
	for _, p := range perms {
		out.Permissions = append(out.Permissions, string(p))
	}
	return out
}
