package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/plan"
	"github.com/steleaudit/stele/internal/store"
)

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.OrgCreate
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if err := event.ValidOrg(in.ID); err != nil {
		return invalid("id", "an organization id is 1 to 64 of a-z, 0-9, and - _ . between them")
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	o := store.Org{ID: in.ID, Name: in.Name, Plan: in.Plan, TimeZone: in.TimeZone, CreatedAt: s.cfg.Now().UTC()}
	if err := checkOrg(o); err != nil {
		return err
	}
	var owner string
	if in.OwnerEmail != "" {
		var err error
		if owner, err = checkEmail("owner_email", in.OwnerEmail); err != nil {
			return err
		}
	}
	// Logged first, into the log CreateOrg then registers, as every
	// change is: a registered organization's log starts with its
	// creation.
	conflict := &apiError{status: http.StatusConflict, code: "conflict", field: "id", message: "an organization with this id exists"}
	if _, err := s.org(r.Context(), o.ID); err == nil {
		return conflict
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.org = o.ID
	target := &client.Target{Type: "organization", ID: o.ID, Name: o.Name}
	if err := s.audit(r, c, "org.created", target, map[string]any{"name": o.Name, "plan": o.Plan, "time_zone": o.TimeZone}); err != nil {
		return err
	}
	err := s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
		return tx.CreateOrg(ctx, o)
	})
	if errors.Is(err, store.ErrConflict) {
		return conflict
	}
	if err != nil {
		return err
	}
	out := orgJSON(o)
	if owner != "" {
		// The owner joins as anyone does, by accepting an invitation:
		// with an existing account's password, or creating one.
		inv, err := s.newInvitation(r, c, owner, auth.RoleOwner)
		if err != nil {
			return err
		}
		out.OwnerInvitation = &inv
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := s.org(r.Context(), c.org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgJSON(o))
	return nil
}

// updateOrg changes what the body names, and logs org.settings_changed
// (name, time zone) or org.billing_updated (plan) with the old and new
// values, before the change is made: a change is never unlogged.
func (s *Server) updateOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.OrgUpdate
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	old, err := s.org(r.Context(), c.org)
	if err != nil {
		return err
	}
	o := old
	settings, billing := map[string]any{}, map[string]any{}
	change := func(into map[string]any, name string, field *string, to *string) {
		if to != nil && *to != *field {
			into["old_"+name], into["new_"+name] = *field, *to
			*field = *to
		}
	}
	change(settings, "name", &o.Name, in.Name)
	change(settings, "time_zone", &o.TimeZone, in.TimeZone)
	if in.RequireMFA != nil && *in.RequireMFA != o.RequireMFA {
		settings["old_require_mfa"], settings["new_require_mfa"] = o.RequireMFA, *in.RequireMFA
		o.RequireMFA = *in.RequireMFA
	}
	change(billing, "plan", &o.Plan, in.Plan)
	if err := checkOrg(o); err != nil {
		return err
	}
	retention := map[string]any{}
	if in.RetentionDays != nil {
		if err := checkRetention(o.Plan, *in.RetentionDays); err != nil {
			return err
		}
		o.RetentionDays = *in.RetentionDays
	}
	if before, after := retentionDays(old), retentionDays(o); before != after {
		retention["old_days"], retention["new_days"] = before, after
	}
	target := &client.Target{Type: "organization", ID: o.ID, Name: o.Name}
	if len(settings) > 0 {
		if err := s.audit(r, c, "org.settings_changed", target, settings); err != nil {
			return err
		}
	}
	if len(billing) > 0 {
		if err := s.audit(r, c, "org.billing_updated", target, billing); err != nil {
			return err
		}
	}
	if len(retention) > 0 {
		if err := s.audit(r, c, "retention.changed", target, retention); err != nil {
			return err
		}
	}
	if o != old {
		err := s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateOrg(ctx, o)
		})
		if err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, orgJSON(o))
	return nil
}

// checkOrg validates what a client may set on an organization.
func checkOrg(o store.Org) error {
	if err := checkName("name", o.Name); err != nil {
		return err
	}
	if _, ok := plan.Lookup(o.Plan); !ok {
		return invalid("plan", fmt.Sprintf("unknown plan; plans are %v", plan.Names()))
	}
	if _, err := time.LoadLocation(o.TimeZone); err != nil || len(o.TimeZone) > 64 || o.TimeZone == "" || o.TimeZone == "Local" {
		return invalid("time_zone", "not an IANA time zone name, such as Europe/Paris")
	}
	return nil
}

// checkName validates a human-readable name: 1 to 200 characters, none
// of them control characters.
func checkName(field, name string) error {
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return invalid(field, "a name is 1 to 200 characters")
	}
	if !utf8.ValidString(name) || event.CheckIdent(name) != nil {
		return invalid(field, "a name has no control or bidirectional formatting characters")
	}
	return nil
}

func orgJSON(o store.Org) client.Org {
	return client.Org{ID: o.ID, Name: o.Name, Plan: o.Plan, TimeZone: o.TimeZone, RetentionDays: retentionDays(o),
		RequireMFA: o.RequireMFA, CreatedAt: o.CreatedAt}
}

// retentionDays is how long o's events stay viewable, in days.
func retentionDays(o store.Org) int {
	p, _ := plan.Lookup(o.Plan)
	return p.RetentionDays(o.RetentionDays)
}

// checkRetention validates a choice of retention on plan name.
func checkRetention(name string, days int) error {
	p, _ := plan.Lookup(name)
	maxDays := int(p.MaxRetention / (24 * time.Hour))
	switch {
	case !p.AuditLogs:
		return invalid("retention_days", fmt.Sprintf("the %s plan has no audit logs to keep; the %s plan and above have", name, plan.WithAuditLogs()))
	case days < 0 || days > maxDays:
		return invalid("retention_days", fmt.Sprintf("the %s plan keeps events 1 to %d days (0: its default)", name, maxDays))
	}
	return nil
}

// org reads a registered organization.
func (s *Server) org(ctx context.Context, id string) (store.Org, error) {
	return store.ReadValue(ctx, s.st, func(ctx context.Context, r store.Reader) (store.Org, error) { return r.Org(ctx, id) })
}

// registered returns errNotFound unless org is registered. Organizations
// are never unregistered, so the answer is remembered once yes.
func (s *Server) registered(ctx context.Context, org string) error {
	s.mu.Lock()
	ok := s.known[org]
	s.mu.Unlock()
	if ok {
		return nil
	}
	if event.ValidOrg(org) != nil {
		return errNotFound
	}
	if _, err := s.org(ctx, org); err != nil {
		return err
	}
	s.mu.Lock()
	if len(s.known) >= maxBuckets {
		clear(s.known)
	}
	s.known[org] = true
	s.mu.Unlock()
	return nil
}

// canView returns an error unless org's plan lets it view its logs.
func (s *Server) canView(ctx context.Context, org string) error {
	o, err := s.org(ctx, org)
	if err != nil {
		return err
	}
	if p, ok := plan.Lookup(o.Plan); ok && p.AuditLogs {
		return nil
	}
	return &apiError{status: http.StatusForbidden, code: "plan_required", message: fmt.Sprintf(
		"audit logs are not included in the %s plan; the %s plan and above include them (events are recorded meanwhile)",
		o.Plan, plan.WithAuditLogs())}
}
