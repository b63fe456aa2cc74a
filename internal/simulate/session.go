package simulate

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
)

// Sessions, sign-ins and what machines do: the episodes the story is made
// of. Each begins with one event (fresh) and schedules the rest (fire).

// Kinds of pending events.
const (
	kLogin   = iota // a member signs in: after a typo, after joining, or to clean up after an intrusion
	kAction         // a session's next action
	kLogout         // a session ends
	kJoin           // an invited member accepts
	kExpire         // an invitation nobody accepted lapses (no event)
	kAttempt        // one more failed sign-in of a burst
	kIntrude        // a burst's password guess works
	kRogue          // the intruder makes an API key
	kScan           // a scan completes
	kAutoFix        // a scan no longer sees a finding
	kReopen         // a scan sees a fixed finding again
)

// Scan triggers.
const (
	onUpload  = "upload"
	onCI      = "ci"
	manually  = "manual"
	scheduled = "scheduled"
	recovery  = "recovery" // of a kLogin
)

// fire makes the event p stands for into e, and reports whether there is
// one: what it was about may be gone (a removed member, a deleted
// contract).
func (s *Sim) fire(p *pending, e *client.Entry) bool {
	switch p.kind {
	case kLogin:
		return s.fireLogin(p, e)
	case kAction:
		return s.fireAction(p, e)
	case kLogout:
		if p.m.state != active {
			return false
		}
		e.Actor, e.Event, e.IP, e.UserAgent = p.m.actor(), "auth.logout", p.m.ip, p.m.agent
		e.Details = map[string]any{"reason": "user"}
		p.m.inSession = false
		return true
	case kJoin:
		return s.fireJoin(p, e)
	case kExpire:
		if p.m.state == invited {
			s.dropMember(p.m)
		}
		return false
	case kAttempt:
		if p.m != nil && p.m.state != active {
			return false
		}
		s.attempt(*p, p.due, e)
		return true
	case kIntrude:
		return s.fireIntrude(p, e)
	case kRogue:
		return s.fireRogue(p, e)
	case kScan:
		return s.fireScan(p, e)
	case kAutoFix, kReopen:
		return s.fireRescore(p, e)
	}
	panic("simulate: unknown pending event kind " + strconv.Itoa(p.kind))
}

// fresh begins something new at clock: mostly a member's session, now
// and then a CI run, an integration's comment or a password-guessing
// burst.
func (s *Sim) fresh(clock time.Time, e *client.Entry) {
	switch x := s.rnd.Float64(); {
	case x < 1.0/450:
		if s.burst(clock, e) {
			return
		}
	case x < 0.06:
		if s.ciRun(clock, e) {
			return
		}
	case x < 0.07:
		if s.syncComment(e) {
			return
		}
	}
	if m := s.pickMember(clock.Unix()); m != nil {
		s.startSession(m, clock, e)
		return
	}
	// Everyone is in a session already (a small organization): the
	// machines work. There is always a CI key (the last is never revoked)
	// and a project (the last six are never deleted).
	if !s.ciRun(clock, e) {
		panic("simulate: no CI key or no project")
	}
}

// between returns a random duration from a to b seconds, in whole
// milliseconds.
func (s *Sim) between(a, b int) time.Duration {
	return time.Duration(a*1000+s.rnd.IntN((b-a)*1000)) * time.Millisecond
}

// think returns the time between two actions of a session: two minutes or
// so, from seconds to half an hour.
func (s *Sim) think() time.Duration {
	secs := math.Exp(math.Log(100) + 0.9*s.rnd.NormFloat64())
	secs = min(max(secs, 4), 1800)
	return time.Duration(secs * 1000 * float64(time.Millisecond)).Truncate(time.Millisecond)
}

// chooseAddress picks where m signs in from: the office in working hours,
// home (or a phone) otherwise.
func (s *Sim) chooseAddress(m *member, unix int64) {
	wd, h := local(unix, m.tz)
	working := wd != 0 && wd != 6 && h >= 8 && h < 19
	m.agent = m.agents[0]
	if s.rnd.Float64() < 0.3 {
		m.agent = m.agents[1]
	}
	switch x := s.rnd.Float64(); {
	case m.office != "" && working && x < 0.85:
		m.ip = m.office
	case x < 0.92:
		m.ip = m.home
		if m.v6 != "" && x < 0.6 {
			m.ip = m.v6
		}
	default:
		m.ip, m.agent = m.mobile, browsers[len(browsers)-1]
	}
}

func (s *Sim) startSession(m *member, clock time.Time, e *client.Entry) {
	m.inSession = true
	s.chooseAddress(m, clock.Unix())
	if !m.sso && s.rnd.Float64() < 0.04 { // a mistyped password or code first
		reason := "invalid_password"
		if m.mfa && s.rnd.Float64() < 0.4 {
			reason = "invalid_mfa_code"
		}
		s.failed(e, m.actor(), m.email, reason, m.ip, m.agent)
		s.schedule(pending{due: clock.Add(s.between(6, 40)), kind: kLogin, m: m})
		return
	}
	s.login(m, clock, e)
}

// login signs m in at at from m's address, and schedules the session's
// actions.
func (s *Sim) login(m *member, at time.Time, e *client.Entry) {
	method := "password"
	switch {
	case m.sso:
		method = "sso"
	case m.mfa && s.rnd.Float64() < 0.3:
		method = "passkey"
	}
	e.Actor, e.Event, e.IP, e.UserAgent = m.actor(), "auth.login", m.ip, m.agent
	e.Details = map[string]any{"method": method, "mfa": m.mfa}
	n := 1 + int(s.rnd.ExpFloat64()*6)
	s.schedule(pending{due: at.Add(s.think()), kind: kAction, m: m, n: min(n, 60)})
}

func (s *Sim) fireLogin(p *pending, e *client.Entry) bool {
	m := p.m
	if m.state != active {
		return false
	}
	if p.trigger == recovery {
		m.recovering, m.recoverStep = true, 0
		if m.inSession { // the session under way will see to it
			return false
		}
		m.inSession = true
		s.chooseAddress(m, p.due.Unix())
	}
	s.login(m, p.due, e)
	return true
}

func (s *Sim) fireAction(p *pending, e *client.Entry) bool {
	m := p.m
	if m.state != active {
		return false
	}
	s.act(m, p.due, e)
	switch {
	case p.n > 1:
		s.schedule(pending{due: p.due.Add(s.think()), kind: kAction, m: m, n: p.n - 1})
	case s.rnd.Float64() < 0.65:
		s.schedule(pending{due: p.due.Add(s.between(5, 300)), kind: kLogout, m: m})
	default: // the tab is closed; the session lapses
		m.inSession = false
	}
	return true
}

func (s *Sim) fireJoin(p *pending, e *client.Entry) bool {
	m := p.m
	if m.state != invited {
		return false
	}
	m.state, m.inSession = active, true
	s.chooseAddress(m, p.due.Unix())
	e.Actor, e.Event, e.Target, e.IP, e.UserAgent = m.actor(), "member.joined", m.target(), m.ip, m.agent
	e.Details = map[string]any{"email": m.email, "role": word(m.role)}
	s.schedule(pending{due: p.due.Add(s.between(3, 30)), kind: kLogin, m: m})
	return true
}

func (s *Sim) failed(e *client.Entry, a client.Actor, email, reason, ip, ua string) {
	e.Actor, e.Event, e.IP, e.UserAgent = a, "auth.failed", ip, ua
	e.Details = map[string]any{"email": email, "reason": reason}
}

// burst begins a run of 5 to 12 failed sign-ins against one account from
// one unfamiliar address within a few minutes. Some accounts do not exist.
func (s *Sim) burst(clock time.Time, e *client.Entry) bool {
	p := pending{kind: kAttempt, n: 4 + s.rnd.IntN(8), ua: attackTools[s.rnd.IntN(len(attackTools))]}
	if s.rnd.Float64() < 0.85 {
		p.ip = "192.0.2." + strconv.Itoa(130+s.rnd.IntN(125))
	} else {
		p.ip = "2001:db8:" + strconv.FormatUint(uint64(0xa000+s.rnd.IntN(0x5fff)), 16) + "::" + strconv.FormatUint(uint64(1+s.rnd.IntN(0xfffe)), 16)
	}
	if s.rnd.Float64() < 0.12 {
		p.email = [...]string{"admin@", "security@", "finance@", "root@"}[s.rnd.IntN(4)] + domain
	} else {
		for range 20 {
			m := s.members[s.rnd.IntN(len(s.members))]
			if m.state == active && (m.manager() || s.rnd.Float64() < 0.5) {
				p.m = m
				break
			}
		}
		if p.m == nil {
			return false
		}
	}
	s.attempt(p, clock, e)
	return true
}

// attempt makes one failed sign-in of the burst p into e and schedules
// what comes next: another attempt, or the end of the burst.
func (s *Sim) attempt(p pending, at time.Time, e *client.Entry) {
	a, email, reason := client.Actor{Type: event.ActorUser, Email: p.email}, p.email, "invalid_password"
	if p.m != nil {
		a, email = p.m.actor(), p.m.email
		if p.m.sso {
			reason = "sso_required"
		}
	}
	s.failed(e, a, email, reason, p.ip, p.ua)
	switch x := s.rnd.Float64(); {
	case p.n > 0:
		p.due, p.n = at.Add(s.between(3, 25)), p.n-1
		s.schedule(p)
	case p.m == nil:
	case !p.m.mfa && !p.m.sso && x < 0.3: // the guess works
		p.due, p.kind = at.Add(s.between(5, 60)), kIntrude
		s.schedule(p)
	case x < 0.6: // the member notices and changes the password
		s.schedule(pending{due: time.Unix(s.nextMorning(p.m, at.Unix()), 0).UTC(), kind: kLogin, m: p.m, trigger: recovery})
	}
}

func (s *Sim) fireIntrude(p *pending, e *client.Entry) bool {
	m := p.m
	if m.state != active {
		return false
	}
	e.Actor, e.Event, e.IP, e.UserAgent = m.actor(), "auth.login", p.ip, p.ua
	e.Details = map[string]any{"method": "password", "mfa": false}
	if m.manager() && len(s.keys) <= maxKeys {
		s.schedule(pending{due: p.due.Add(s.between(40, 300)), kind: kRogue, m: m, ip: p.ip, ua: p.ua})
	}
	s.schedule(pending{due: time.Unix(s.nextMorning(m, p.due.Unix()), 0).UTC(), kind: kLogin, m: m, trigger: recovery})
	return true
}

// fireRogue has the intruder make an API key with the account they took.
func (s *Sim) fireRogue(p *pending, e *client.Entry) bool {
	m := p.m
	if m.state != active || !m.manager() {
		return false
	}
	k := s.newKey(rogueKey, [...]string{"automation", "backup-sync", "ops", "monitoring"}[s.rnd.IntN(4)], nil)
	m.rogue = k
	e.Actor, e.Event, e.IP, e.UserAgent = m.actor(), "api_key.created", p.ip, p.ua
	e.Target = &client.Target{Type: "api_key", ID: k.id, Name: k.name}
	e.Details = map[string]any{"scopes": slices.Clone(adminScopes), "expires_in_days": nil}
	return true
}

// ciRun is the CI integration uploading a contract it built and asking
// for a scan.
func (s *Sim) ciRun(clock time.Time, e *client.Entry) bool {
	k := s.someKey(ciKey)
	if k == nil {
		return false
	}
	p := k.project
	if p == nil || !p.alive {
		if p = s.someProject(); p == nil {
			return false
		}
	}
	c := s.uploadTo(p)
	s.uploaded(e, c)
	e.Actor, e.IP, e.UserAgent = k.actor(), ciAddresses[s.rnd.IntN(len(ciAddresses))], ciAgent
	s.schedule(pending{due: clock.Add(s.between(45, 400)), kind: kScan, c: c, k: k, trigger: onCI, ip: e.IP, ua: ciAgent})
	return true
}

// syncComment is the issue-tracker integration noting where a finding is
// tracked.
func (s *Sim) syncComment(e *client.Entry) bool {
	k, f := s.someKey(syncKey), s.pickOpen()
	if k == nil || f == nil {
		return false
	}
	e.Actor, e.Event, e.Target, e.IP, e.UserAgent = k.actor(), "finding.commented", f.target(), "198.51.100.240", syncAgent
	e.Details = map[string]any{
		"comment":     "Tracked in Jira as SEC-" + strconv.Itoa(1000+int(s.counts.findings%9000)),
		"comment_id":  s.commentID(),
		"contract_id": f.contract.ref,
		"project_id":  f.contract.project.ref,
	}
	return true
}

func (s *Sim) someKey(purpose int) *apiKey {
	if len(s.keys) == 0 {
		return nil
	}
	start := s.rnd.IntN(len(s.keys))
	for i := range s.keys {
		if k := s.keys[(start+i)%len(s.keys)]; k.purpose == purpose {
			return k
		}
	}
	return nil
}

// scheduleNightly schedules the scans of a handful of contracts from at
// (one for every eight members), when the organization has nightly scans
// on.
func (s *Sim) scheduleNightly(at time.Time) {
	if s.setting(nightlyScans) != true {
		return
	}
	for range 1 + len(s.members)/8 {
		at = at.Add(s.between(20, 240))
		if c := s.someContract(); c != nil {
			s.schedule(pending{due: at, kind: kScan, c: c, trigger: scheduled})
		}
	}
}

func (s *Sim) fireScan(p *pending, e *client.Entry) bool {
	c := p.c
	if !c.alive || !c.project.alive {
		return false
	}
	switch p.trigger {
	case onCI:
		if !p.k.alive {
			return false
		}
		e.Actor, e.IP, e.UserAgent = p.k.actor(), p.ip, p.ua
	case onUpload:
		e.Actor = scanner
	default:
		e.Actor = scheduler
	}
	s.scan(c, p.trigger, p.due, e)
	return true
}

// scan scans c: it finds new findings (fewer when many are open already)
// and reports how many are open, and sometimes no longer sees one (or
// sees a fixed one again).
func (s *Sim) scan(c *contract, trigger string, at time.Time, e *client.Entry) {
	mean := 4 * max(0.1, 1-float64(len(s.open))/float64(8*len(s.members)))
	for range min(int(s.rnd.ExpFloat64()*mean), 12) {
		s.newFinding(c)
	}
	var total, crit, hi int
	var stale *finding // one the new version may have fixed
	start := s.rnd.IntN(len(s.open) + 1)
	for i := range s.open {
		f := s.open[(start+i)%len(s.open)]
		if f.contract != c {
			continue
		}
		total++
		switch f.flaw.severity {
		case critical:
			crit++
		case high:
			hi++
		}
		if f.status != open && stale == nil {
			stale = f
		}
	}
	e.Event, e.Target = "contract.scanned", c.target()
	e.Details = map[string]any{
		"project_id":  c.project.ref,
		"version":     c.version,
		"trigger":     trigger,
		"findings":    total,
		"critical":    crit,
		"high":        hi,
		"duration_ms": 8000 + s.rnd.IntN(170000),
		"engine":      engine,
	}
	switch x := s.rnd.Float64(); {
	case trigger != scheduled && stale != nil && x < 0.35:
		s.schedule(pending{due: at.Add(s.between(1, 8)), kind: kAutoFix, f: stale})
	case trigger == scheduled && x < 0.08:
		for _, f := range s.closed {
			if f.contract == c && f.status == fixed {
				s.schedule(pending{due: at.Add(s.between(1, 8)), kind: kReopen, f: f})
				break
			}
		}
	}
}

// fireRescore is the scanner closing a finding it no longer sees, or
// reopening a fixed one it sees again.
func (s *Sim) fireRescore(p *pending, e *client.Entry) bool {
	f := p.f
	if !f.live() {
		return false
	}
	old, status, reason := f.status, fixed, "no longer detected"
	switch {
	case p.kind == kReopen && old == fixed:
		status, reason = open, "detected again"
		e.Actor = scheduler
	case p.kind == kAutoFix && (old == triaged || old == acknowledged):
		e.Actor = scanner
	default:
		return false
	}
	s.setStatus(f, status)
	e.Event, e.Target = "finding.status_changed", f.target()
	e.Details = map[string]any{
		"old_status":  word(old),
		"new_status":  word(status),
		"severity":    word(f.flaw.severity),
		"reason":      reason,
		"contract_id": f.contract.ref,
		"project_id":  f.contract.project.ref,
	}
	return true
}
