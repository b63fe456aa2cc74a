package auth

import (
	"context"
	"errors"

	"github.com/steleaudit/stele/internal/store"
)

// A Membership is an organization a person belongs to, with their role
// and what it grants.
type Membership struct {
	Org   store.Org
	Role  string
	Perms []Permission
}

// Orgs returns the organizations the person userID belongs to, in the
// order of store.Reader.Memberships.
func Orgs(ctx context.Context, st store.Store, userID string) ([]Membership, error) {
	var out []Membership
	err := st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		ms, err := r.Memberships(ctx, userID)
		if err != nil {
			return err
		}
		out = make([]Membership, 0, len(ms))
		for _, m := range ms {
			o, err := r.Org(ctx, m.Org)
			if err != nil {
				return err
			}
			perms, err := RolePermissions(ctx, r, m.Org, m.Role)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			out = append(out, Membership{Org: o, Role: m.Role, Perms: perms})
		}
		return nil
	})
	return out, err
}
