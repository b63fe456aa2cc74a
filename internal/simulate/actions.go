package simulate

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/steleaudit/stele/client"
)

// What members do in a session. Each action makes its event into e (the
// actor, address and user agent are set already) and changes the world,
// or reports false, changing nothing, when it cannot be done now.

// An action is something a member does, with how often members, admins
// and owners do it (per 10,000 actions).
type action struct {
	weight [3]float64
	do     func(s *Sim, m *member, at time.Time, e *client.Entry) bool
}

var actions = [...]action{
	{[3]float64{1800, 1400, 1000}, (*Sim).changeStatus},
	{[3]float64{1200, 1100, 900}, (*Sim).comment},
	{[3]float64{900, 1200, 1000}, (*Sim).assign},
	{[3]float64{320, 260, 180}, (*Sim).upload},
	{[3]float64{90, 90, 70}, (*Sim).rescan},
	{[3]float64{2, 6, 6}, (*Sim).createProject},
	{[3]float64{0.2, 2, 2}, (*Sim).deleteProject},
	{[3]float64{6, 50, 50}, (*Sim).grantAccess},
	{[3]float64{2, 16, 16}, (*Sim).revokeAccess},
	{[3]float64{2, 5, 5}, (*Sim).deleteContract},
	{[3]float64{0, 3, 3}, (*Sim).createTeam},
	{[3]float64{0, 2.5, 2.5}, (*Sim).deleteTeam},
	{[3]float64{0, 45, 45}, (*Sim).addToTeam},
	{[3]float64{0, 15, 15}, (*Sim).removeFromTeam},
	{[3]float64{0, 14, 14}, (*Sim).invite},
	{[3]float64{0, 2, 3}, (*Sim).removeMember},
	{[3]float64{0, 5, 8}, (*Sim).changeRole},
	{[3]float64{1, 5, 5}, (*Sim).createKey},
	{[3]float64{0.3, 2.5, 2.5}, (*Sim).revokeKey},
	{[3]float64{0, 6, 10}, (*Sim).changeSetting},
	{[3]float64{0, 0, 40}, (*Sim).updateBilling},
	{[3]float64{10, 10, 10}, (*Sim).enableMFA},
	{[3]float64{7, 7, 7}, (*Sim).changePassword},
}

var actionTotals = func() (t [3]float64) {
	for _, a := range actions {
		for r, w := range a.weight {
			t[r] += w
		}
	}
	return t
}()

func roleIndex(role string) int {
	switch role {
	case admin:
		return 1
	case owner:
		return 2
	}
	return 0
}

// act has m do something at at: cleaning up after an intrusion first,
// turning on MFA when the organization requires it, or else whatever m's
// role makes likely and the world allows.
func (s *Sim) act(m *member, at time.Time, e *client.Entry) {
	e.Actor, e.IP, e.UserAgent = m.actor(), m.ip, m.agent
	if m.recovering && s.recover(m, e) {
		return
	}
	if !m.mfa && s.setting(requireMFA) == true && s.enableMFA(m, at, e) {
		return
	}
	r := roleIndex(m.role)
	for range 6 {
		x := s.rnd.Float64() * actionTotals[r]
		i := 0
		for ; i < len(actions)-1 && x >= actions[i].weight[r]; i++ {
			x -= actions[i].weight[r]
		}
		if actions[i].do(s, m, at, e) {
			return
		}
	}
	if !s.comment(m, at, e) && !s.changePassword(m, at, e) {
		s.upload(m, at, e)
	}
}

// recover is m's next step in cleaning up after someone signed in as m:
// a new password, the intruder's key revoked, MFA, and MFA for everyone.
func (s *Sim) recover(m *member, e *client.Entry) bool {
	for m.recoverStep < 4 {
		step := m.recoverStep
		m.recoverStep++
		switch {
		case step == 0 && !m.sso:
			e.Event = "auth.password_changed"
			e.Details = map[string]any{"method": "settings", "reason": "suspicious_activity"}
			return true
		case step == 1 && m.rogue != nil && m.rogue.alive:
			s.revoke(m.rogue, "compromised", e)
			m.rogue = nil
			return true
		case step == 2 && !m.mfa:
			m.mfa = true
			e.Event, e.Details = "auth.mfa_enabled", map[string]any{"method": "webauthn"}
			return true
		case step == 3 && m.manager() && s.setting(requireMFA) != true:
			s.set(requireMFA, 1, e)
			return true
		}
	}
	m.recovering = false
	return false
}

func (s *Sim) setting(i int) any { return settingKinds[i].values[s.settings[i]] }

// set changes setting i to its value v, into e.
func (s *Sim) set(i, v int, e *client.Entry) {
	k := &settingKinds[i]
	old := s.settings[i]
	s.settings[i] = v
	e.Event, e.Target = "org.settings_changed", &client.Target{Type: "settings", ID: k.section, Name: k.name}
	e.Details = map[string]any{"setting": k.key, "old_value": k.values[old], "new_value": k.values[v]}
}

// pickOpen returns a random open, triaged or acknowledged finding, or nil.
func (s *Sim) pickOpen() *finding {
	for range 8 {
		if len(s.open) == 0 {
			return nil
		}
		f := s.open[s.rnd.IntN(len(s.open))]
		if f.live() {
			return f
		}
		s.unlist(f) // its contract is gone
	}
	return nil
}

func (s *Sim) changeStatus(m *member, _ time.Time, e *client.Entry) bool {
	for range 4 {
		f := s.pickOpen()
		if f == nil {
			return false
		}
		if f.assignee != nil && f.assignee != m && f.status == triaged && s.rnd.Float64() < 0.5 {
			continue // left to whoever it is assigned to
		}
		var next string
		switch x := s.rnd.Float64(); {
		case f.status == open:
			next = triaged
		case f.status == acknowledged && x < 0.3:
			next = fixed
		case f.status == acknowledged:
			continue
		case x < 0.55:
			next = fixed
		case x < 0.8:
			next = falsePositive
		default:
			next = acknowledged
		}
		old := f.status
		s.setStatus(f, next)
		e.Event, e.Target = "finding.status_changed", f.target()
		d := map[string]any{
			"old_status":  word(old),
			"new_status":  word(next),
			"severity":    word(f.flaw.severity),
			"contract_id": f.contract.ref,
			"project_id":  f.contract.project.ref,
		}
		if next == falsePositive {
			d["reason"] = falsePositiveReasons[s.rnd.IntN(len(falsePositiveReasons))]
		}
		e.Details = d
		return true
	}
	return false
}

func (s *Sim) commentID() string {
	s.counts.comments++
	return "cmt_" + pad(strconv.FormatUint(uint64(mix(uint32(s.counts.comments), s.salt^0xc0, 32)), 36), 7)
}

func (s *Sim) comment(_ *member, _ time.Time, e *client.Entry) bool {
	f := s.pickOpen()
	if len(s.closed) > 0 && (f == nil || s.rnd.Float64() < 0.15) {
		if g := s.closed[s.rnd.IntN(len(s.closed))]; g.live() {
			f = g
		}
	}
	if f == nil {
		return false
	}
	e.Event, e.Target = "finding.commented", f.target()
	e.Details = map[string]any{
		"comment":     comments[s.rnd.IntN(len(comments))],
		"comment_id":  s.commentID(),
		"contract_id": f.contract.ref,
		"project_id":  f.contract.project.ref,
	}
	return true
}

func (s *Sim) assign(m *member, _ time.Time, e *client.Entry) bool {
	f := s.pickOpen()
	if f == nil || f.status == acknowledged && s.rnd.Float64() < 0.8 {
		return false
	}
	who := m
	if x := s.rnd.Float64(); x >= 0.45 {
		who = nil
		if t := f.contract.project.team; t != nil && len(t.members) > 0 && x < 0.8 {
			who = t.members[s.rnd.IntN(len(t.members))]
		}
		if who == nil || who.state != active {
			who = s.someActive()
		}
	}
	prev := f.assignee
	if who == prev {
		return false
	}
	f.assignee = who
	e.Event, e.Target = "finding.assigned", f.target()
	d := map[string]any{
		"assignee":    who.email,
		"severity":    word(f.flaw.severity),
		"contract_id": f.contract.ref,
		"project_id":  f.contract.project.ref,
	}
	if prev != nil {
		d["previous_assignee"] = prev.email
	}
	e.Details = d
	return true
}

func (s *Sim) someActive() *member {
	for {
		if m := s.members[s.rnd.IntN(len(s.members))]; m.state == active {
			return m
		}
	}
}

func (s *Sim) someProject() *project {
	if len(s.projects) == 0 {
		return nil
	}
	return s.projects[s.rnd.IntN(len(s.projects))]
}

func (s *Sim) someContract() *contract {
	for range 4 {
		if p := s.someProject(); p != nil && len(p.contracts) > 0 {
			return p.contracts[s.rnd.IntN(len(p.contracts))]
		}
	}
	return nil
}

// projectFor returns a project m works on (through a team or by access),
// mostly, or else any project; nil when there are none.
func (s *Sim) projectFor(m *member) *project {
	if len(s.projects) == 0 {
		return nil
	}
	if s.rnd.Float64() < 0.7 {
		start := s.rnd.IntN(len(s.projects))
		for i := range s.projects {
			p := s.projects[(start+i)%len(s.projects)]
			if p.team != nil && contains(p.team.members, m) || contains(p.access, m) {
				return p
			}
		}
	}
	return s.someProject()
}

// uploadTo returns the contract of p that is uploaded: a new version of
// one it has, mostly, or a new one.
func (s *Sim) uploadTo(p *project) *contract {
	if len(p.contracts) == 0 || s.rnd.Float64() < 0.25 {
		if c := s.newContract(p); c != nil {
			c.version = 1
			return c
		}
	}
	c := p.contracts[s.rnd.IntN(len(p.contracts))]
	c.version++
	return c
}

func (s *Sim) uploaded(e *client.Entry, c *contract) {
	e.Event, e.Target = "contract.uploaded", c.target()
	e.Details = map[string]any{
		"project_id":   c.project.ref,
		"project_name": c.project.name,
		"version":      c.version,
		"compiler":     c.compiler,
		"lines":        60 + s.rnd.IntN(1400),
	}
}

func (s *Sim) upload(m *member, at time.Time, e *client.Entry) bool {
	p := s.projectFor(m)
	if p == nil {
		return false
	}
	c := s.uploadTo(p)
	s.uploaded(e, c)
	if s.setting(scanOnUpload) == true {
		s.schedule(pending{due: at.Add(s.between(30, 360)), kind: kScan, c: c, trigger: onUpload})
	}
	return true
}

func (s *Sim) rescan(m *member, at time.Time, e *client.Entry) bool {
	p := s.projectFor(m)
	if p == nil || len(p.contracts) == 0 {
		return false
	}
	s.scan(p.contracts[s.rnd.IntN(len(p.contracts))], manually, at, e)
	return true
}

// lognormal returns e^(mu + sigma·N(0,1)).
func (s *Sim) lognormal(mu, sigma float64) float64 {
	return math.Exp(mu + sigma*s.rnd.NormFloat64())
}

func (s *Sim) createKey(m *member, _ time.Time, e *client.Entry) bool {
	if len(s.keys) >= maxKeys {
		return false
	}
	var k *apiKey
	var scopes []string
	switch x := s.rnd.Float64(); {
	case x < 0.55:
		p := s.projectFor(m)
		if p == nil {
			return false
		}
		k, scopes = s.newKey(ciKey, [...]string{"GitHub Actions", "GitLab CI"}[s.rnd.IntN(2)]+" ("+p.name+")", p), ciScopes
	case x < 0.7 && s.someKey(syncKey) == nil:
		k, scopes = s.newKey(syncKey, "Jira sync", nil), syncScopes
	default:
		name := [...]string{"Grafana dashboard", "Datadog export", "Security review script", "Local CLI"}[s.rnd.IntN(4)]
		k, scopes = s.newKey(readKey, name, nil), readScopes
	}
	e.Event, e.Target = "api_key.created", &client.Target{Type: "api_key", ID: k.id, Name: k.name}
	e.Details = map[string]any{"scopes": slices.Clone(scopes), "expires_in_days": [...]any{90, 365, nil}[s.rnd.IntN(3)]}
	return true
}

func (s *Sim) revokeKey(_ *member, _ time.Time, e *client.Entry) bool {
	if len(s.keys) <= 2 {
		return false
	}
	k := s.keys[s.rnd.IntN(len(s.keys))]
	if k.purpose == rogueKey || k.purpose == ciKey && s.countKeys(ciKey) < 2 {
		return false
	}
	s.revoke(k, [...]string{"rotated", "unused", "no longer needed"}[s.rnd.IntN(3)], e)
	return true
}

func (s *Sim) countKeys(purpose int) int {
	n := 0
	for _, k := range s.keys {
		if k.purpose == purpose {
			n++
		}
	}
	return n
}

func (s *Sim) revoke(k *apiKey, reason string, e *client.Entry) {
	k.alive = false
	s.keys = without(s.keys, k)
	e.Event, e.Target = "api_key.revoked", &client.Target{Type: "api_key", ID: k.id, Name: k.name}
	e.Details = map[string]any{"reason": reason}
}

func (s *Sim) changeSetting(_ *member, _ time.Time, e *client.Entry) bool {
	i := s.rnd.IntN(len(settingKinds))
	cur, n := s.settings[i], len(settingKinds[i].values)
	if cur == settingKinds[i].sticky && s.rnd.Float64() < 0.9 {
		return false
	}
	s.set(i, (cur+1+s.rnd.IntN(n-1))%n, e)
	return true
}

func (s *Sim) updateBilling(m *member, _ time.Time, e *client.Entry) bool {
	switch x := s.rnd.Float64(); {
	case x < 0.45:
		old, n := s.seats, s.activeCount()
		switch {
		case n+3 >= s.seats:
			s.seats += 5 * (1 + s.rnd.IntN(2))
		case n+15 < s.seats:
			s.seats -= 5
		default:
			return false
		}
		e.Details = map[string]any{"change": "seats", "plan": "professional", "old_seats": old, "new_seats": s.seats}
	case x < 0.75:
		e.Details = map[string]any{
			"change":     "payment_method",
			"card_brand": [...]string{"visa", "mastercard", "amex"}[s.rnd.IntN(3)],
			"card_last4": strconv.Itoa(1000 + s.rnd.IntN(9000)),
		}
	default:
		e.Details = map[string]any{"change": "billing_contact", "billing_email": "finance@" + domain, "billing_name": m.name}
	}
	e.Event, e.Target = "org.billing_updated", &client.Target{Type: "settings", ID: "billing", Name: "Billing"}
	return true
}

func (s *Sim) activeCount() int {
	n := 0
	for _, m := range s.members {
		if m.state == active {
			n++
		}
	}
	return n
}

func (s *Sim) enableMFA(m *member, _ time.Time, e *client.Entry) bool {
	if m.mfa {
		return false
	}
	m.mfa = true
	e.Event = "auth.mfa_enabled"
	e.Details = map[string]any{"method": [...]string{"totp", "webauthn"}[s.rnd.IntN(2)]}
	return true
}

func (s *Sim) changePassword(m *member, _ time.Time, e *client.Entry) bool {
	if m.sso {
		return false
	}
	e.Event, e.Details = "auth.password_changed", map[string]any{"method": "settings"}
	return true
}
