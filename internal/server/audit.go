package server

import (
	"net/http"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/journal"
	"github.com/steleaudit/stele/verify"
)

// audit logs an action taken through Stele in c.org's log, and returns
// once it is durable (package journal).
func (s *Server) audit(r *http.Request, c *call, typ string, target *client.Target, details map[string]any) error {
	return s.record(r, c.org, c.p.Actor(), typ, target, details)
}

// record logs an action of actor in org's log, as audit does.
func (s *Server) record(r *http.Request, org string, actor verify.Actor, typ string, target *client.Target, details map[string]any) error {
	return s.journal.Record(r.Context(), org, journal.Action{
		Actor:   actor,
		Event:   typ,
		Target:  target,
		Details: details,
		Source:  s.proxies.Source(r),
	})
}
