// Package journal writes Stele's own actions (sign-ins, key and member
// changes, settings) into organizations' logs, held to the same rules as
// the events platforms send: the API and the web pages log through it.
package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/verify"
)

// Timeout bounds writing one action, which is detached from the caller's
// cancellation: a client that hangs up must not leave an action
// half-logged.
const Timeout = 30 * time.Second

// A Journal logs actions in organizations' logs.
type Journal struct {
	led *ledger.Ledger
	cat *event.Catalog
	now func() time.Time
}

// New returns a Journal appending to led, checking types against cat.
func New(led *ledger.Ledger, cat *event.Catalog, now func() time.Time) *Journal {
	return &Journal{led: led, cat: cat, now: now}
}

// An Action is one thing done through Stele, and where it came from.
type Action struct {
	Actor   verify.Actor
	Event   string
	Target  *client.Target
	Details map[string]any
	Source  Source
}

// Record logs a in org's log and returns once it is durable. It goes
// through the parser that events sent by platforms go through.
func (j *Journal) Record(ctx context.Context, org string, a Action) error {
	b, err := json.Marshal(client.Entry{
		Actor:     a.Actor,
		Event:     a.Event,
		Target:    a.Target,
		Details:   a.Details,
		IP:        a.Source.IP,
		UserAgent: a.Source.UserAgent,
	})
	if err != nil {
		return fmt.Errorf("couldn't encode %s: %w", a.Event, err)
	}
	rec, err := event.ParseEvent(b, j.now(), j.cat)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
	defer cancel()
	_, _, err = j.led.Append(ctx, org, []*verify.Record{rec})
	return err
}

// RecordAll logs a in each of orgs, as Record does: a person's sign-ins
// go to every organization they belong to.
func (j *Journal) RecordAll(ctx context.Context, orgs []string, a Action) error {
	for _, org := range orgs {
		if err := j.Record(ctx, org, a); err != nil {
			return err
		}
	}
	return nil
}

// A Source is where an action came from.
type Source struct {
	IP        string
	UserAgent string
}

// Proxies are the load balancers and proxies in front of the server,
// whose X-Forwarded-For tells the client's address.
type Proxies []netip.Prefix

// Source is where r came from: the peer's address, or, when the peer is
// a trusted proxy, the last address in X-Forwarded-For that is not one
// (proxies append the address they got the request from, so what is left
// of the trusted ones is the client's own claim, and may be forged); and
// its user agent, made fit to log.
func (p Proxies) Source(r *http.Request) Source {
	return Source{IP: p.clientIP(r), UserAgent: HeaderText(r.UserAgent(), event.MaxStringSize)}
}

func (p Proxies) clientIP(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	ip := peer.Addr().Unmap()
	if !p.trusted(ip) {
		return ip.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing left of it
		}
		ip = hop.Unmap()
		if !p.trusted(ip) {
			break
		}
	}
	return ip.String()
}

// trusted reports whether ip is one of the proxies.
func (p Proxies) trusted(ip netip.Addr) bool {
	for _, pre := range p {
		if pre.Contains(ip) {
			return true
		}
	}
	return false
}

// HeaderText makes a header value fit to log: valid UTF-8, no control
// characters, at most n bytes (cut on a rune boundary).
func HeaderText(s string, n int) string {
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
