package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/verify"
)

// auditTimeout bounds writing an audit event of Stele's own, which is
// detached from the client's cancellation: a client that hangs up must
// not leave an action half-logged.
const auditTimeout = 30 * time.Second

// audit logs an action taken through Stele in c.org's log, and returns
// once it is durable. It goes through the same parser as events sent by
// platforms, so it is held to the same rules.
func (s *Server) audit(r *http.Request, c *call, typ string, target *client.Target, details map[string]any) error {
	return s.record(r, c.org, c.p.Actor(), typ, target, details)
}

// record logs an action of actor in org's log, as audit does.
func (s *Server) record(r *http.Request, org string, actor verify.Actor, typ string, target *client.Target, details map[string]any) error {
	e := client.Entry{
		Actor:     actor,
		Event:     typ,
		Target:    target,
		Details:   details,
		IP:        s.clientIP(r),
		UserAgent: headerText(r.UserAgent(), event.MaxStringSize),
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	rec, err := event.ParseEvent(b, s.cfg.Now(), s.cat)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	_, _, err = s.led.Append(ctx, org, []*verify.Record{rec})
	return err
}

// recordAll logs an action of actor in each of orgs, as record does: a
// person's sign-ins go to every organization they belong to.
func (s *Server) recordAll(r *http.Request, orgs []string, actor verify.Actor, typ string, target *client.Target, details map[string]any) error {
	for _, org := range orgs {
		if err := s.record(r, org, actor, typ, target, details); err != nil {
			return err
		}
	}
	return nil
}

// clientIP is the address the request came from: its peer's, or, when
// the peer is a trusted proxy, the last address in X-Forwarded-For that
// is not one (proxies append the address they got the request from, so
// what is left of the trusted ones is the client's own claim, and may
// be forged).
func (s *Server) clientIP(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	ip := peer.Addr().Unmap()
	if !s.trusted(ip) {
		return ip.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing left of it
		}
		ip = hop.Unmap()
		if !s.trusted(ip) {
			break
		}
	}
	return ip.String()
}

// trusted reports whether ip is one of the configured proxies.
func (s *Server) trusted(ip netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// headerText makes a header value fit to log: valid UTF-8, no control
// characters, at most n bytes (cut on a rune boundary).
func headerText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
