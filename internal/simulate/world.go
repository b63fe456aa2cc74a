package simulate

import (
	"math"
	"strconv"
	"strings"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
)

// The world is the customer organization: its members, teams, projects,
// contracts, findings, API keys and settings. Every event follows from it
// and changes it; what is gone (a removed member, a deleted project) is
// marked so and dropped from the lists, so that a pending event about it
// finds out and is not sent.

// Member roles.
const (
	owner      = "owner"
	admin      = "admin"
	memberRole = "member"
)

// Member states.
const (
	invited = iota + 1
	active
	removed
)

// Bounds that keep the world the size of one organization however long
// Next runs.
const (
	closedKept  = 256 // closed findings remembered (for comments and regressions)
	maxKeys     = 7   // live API keys
	maxTeams    = 12
	maxProjects = 20
)

type member struct {
	id, email, name string
	role            string
	state           int
	tz              int     // UTC offset, minutes
	weight          float64 // how busy, relative to the others
	owl             bool    // works nights and weekends too
	office          string  // the office's address, or "" for those who work remotely
	home, mobile    string
	v6              string // a home IPv6 address, or ""
	agents          [2]string
	mfa             bool
	sso             bool // signs in through the identity provider, not with a password

	inSession bool
	ip, agent string // of the current session
	// recovering is set after an intrusion: the member's next session
	// cleans up (recoverStep says how far it got), rogue is the key the
	// intruder made.
	recovering  bool
	recoverStep int
	rogue       *apiKey
}

func (m *member) actor() client.Actor {
	return client.Actor{Type: event.ActorUser, ID: m.id, Email: m.email, Name: m.name}
}

func (m *member) target() *client.Target {
	return &client.Target{Type: "member", ID: m.id, Name: m.name}
}

func (m *member) manager() bool { return m.role == owner || m.role == admin }

type team struct {
	id, name string
	members  []*member
	alive    bool
}

type project struct {
	id, name  string
	ref       any // id, boxed once for details
	kind      *projectKind
	team      *team
	contracts []*contract
	access    []*member
	alive     bool
}

type contract struct {
	id, name string
	ref      any // id, boxed once for details
	project  *project
	version  int
	compiler string
	alive    bool
}

func (c *contract) target() *client.Target {
	return &client.Target{Type: "contract", ID: c.id, Name: c.name}
}

// Finding statuses.
const (
	open          = "open"
	triaged       = "triaged"
	fixed         = "fixed"
	falsePositive = "false_positive"
	acknowledged  = "acknowledged"
)

type finding struct {
	id       string
	flaw     *flaw
	contract *contract
	status   string
	assignee *member
	idx      int // in Sim.open, or -1
}

func (f *finding) target() *client.Target {
	return &client.Target{Type: "finding", ID: f.id, Name: f.flaw.title}
}

// word returns s, one of the constant words of details (statuses,
// severities, roles) as an interface value without allocating.
func word(s string) any {
	switch s {
	case open:
		return open
	case triaged:
		return triaged
	case fixed:
		return fixed
	case falsePositive:
		return falsePositive
	case acknowledged:
		return acknowledged
	case critical:
		return critical
	case high:
		return high
	case medium:
		return medium
	case low:
		return low
	case informational:
		return informational
	case owner:
		return owner
	case admin:
		return admin
	case memberRole:
		return memberRole
	}
	return s
}

func (f *finding) live() bool { return f.contract.alive && f.contract.project.alive }

// API key purposes.
const (
	ciKey = iota
	syncKey
	readKey
	rogueKey
)

type apiKey struct {
	id, name string
	purpose  int
	project  *project // for CI keys
	alive    bool
}

func (k *apiKey) actor() client.Actor {
	return client.Actor{Type: event.ActorAPIKey, ID: k.id, Name: k.name}
}

var (
	scanner   = client.Actor{Type: event.ActorSystem, ID: "analysis-engine", Name: scannerName}
	scheduler = client.Actor{Type: event.ActorSystem, ID: "scheduler", Name: schedulerName}
)

// mix is a bijection of the numbers of bits bits that looks random, for
// ids that are unique (made from counters) but do not read as sequence
// numbers: multiplying by an odd number and xoring with a right shift are
// each one-to-one modulo 2^bits.
func mix(x, salt uint32, bits int) uint32 {
	mask := uint32(1)<<bits - 1
	x = (x ^ salt) & mask
	x = x * 0x9e3779b1 & mask
	x ^= x >> (bits / 2)
	x = x * 0x85ebca77 & mask
	x ^= x >> (bits/2 - 3)
	return x
}

// newMember makes a member of the given role, invited or already active.
func (s *Sim) newMember(role string, state int) *member {
	s.counts.users++
	m := &member{role: role, state: state, mfa: s.rnd.Float64() < 0.45}
	m.id = "u_" + pad(strconv.FormatUint(uint64(mix(uint32(s.counts.users), s.salt, 32)), 36), 7)
	for try := 0; ; try++ {
		first, last := firstNames[s.rnd.IntN(len(firstNames))], lastNames[s.rnd.IntN(len(lastNames))]
		dom := domain
		if s.rnd.Float64() < 0.2 {
			dom = acquiredDomain
		}
		local := first[1] + "." + last[1]
		if try > 8 {
			local += strconv.Itoa(try)
		}
		email := local + "@" + dom
		if !s.emailTaken(email) {
			m.name, m.email = first[0]+" "+last[0], email
			// The acquired firm's people kept its Google Workspace.
			m.sso = dom == acquiredDomain
			break
		}
	}
	x, i := s.rnd.Float64(), 0
	for i < len(places)-1 && x >= places[i].share {
		x -= places[i].share
		i++
	}
	pl := &places[i]
	m.tz = pl.offset
	if pl.office[0] != "" && s.rnd.Float64() < 0.8 {
		m.office = pl.office[s.rnd.IntN(2)]
	}
	m.weight = math.Exp(0.8 * s.rnd.NormFloat64())
	m.owl = s.rnd.Float64() < 0.12
	m.home = "198.51.100." + strconv.Itoa(2+s.rnd.IntN(190))
	m.mobile = "192.0.2." + strconv.Itoa(2+s.rnd.IntN(120))
	if s.rnd.Float64() < 0.3 {
		m.v6 = "2001:db8:" + strconv.FormatUint(uint64(0x1000+s.rnd.IntN(0xe000)), 16) + "::" +
			strconv.FormatUint(uint64(1+s.rnd.IntN(0xfffe)), 16)
	}
	m.agents[0] = browsers[s.rnd.IntN(len(browsers))]
	m.agents[1] = m.agents[0]
	if s.rnd.Float64() < 0.4 {
		m.agents[1] = browsers[s.rnd.IntN(len(browsers))]
	}
	s.members = append(s.members, m)
	return m
}

func pad(s string, n int) string {
	if len(s) < n {
		s = strings.Repeat("0", n-len(s)) + s
	}
	return s
}

func (s *Sim) emailTaken(email string) bool {
	for _, m := range s.members {
		if m.email == email {
			return true
		}
	}
	return false
}

// dropMember forgets a removed member: out of the member list, teams and
// project access lists.
func (s *Sim) dropMember(m *member) {
	m.state = removed
	s.members = without(s.members, m)
	for _, t := range s.teams {
		t.members = without(t.members, m)
	}
	for _, p := range s.projects {
		p.access = without(p.access, m)
	}
}

func without[T comparable](list []T, x T) []T {
	for i, y := range list {
		if y == x {
			copy(list[i:], list[i+1:])
			var zero T
			list[len(list)-1] = zero
			return list[:len(list)-1]
		}
	}
	return list
}

func (s *Sim) newTeam() *team {
	s.counts.teams++
	name := ""
	start := s.rnd.IntN(len(teamNames))
	for i := range teamNames {
		if n := teamNames[(start+i)%len(teamNames)]; !s.teamNamed(n) {
			name = n
			break
		}
	}
	if name == "" {
		name = teamNames[start] + " II"
	}
	t := &team{id: "team-" + strconv.Itoa(int(10+s.counts.teams*3)), name: name, alive: true}
	s.teams = append(s.teams, t)
	return t
}

func (s *Sim) teamNamed(name string) bool {
	for _, t := range s.teams {
		if t.name == name {
			return true
		}
	}
	return false
}

func (s *Sim) newProject(t *team) *project {
	s.counts.projects += 1 + uint64(s.rnd.IntN(9))
	k := &projectKinds[s.rnd.IntN(len(projectKinds))]
	name := k.name
	for _, p := range s.projects {
		if p.name == name {
			name = k.name + projectSuffixes[1+s.rnd.IntN(len(projectSuffixes)-1)]
			break
		}
	}
	p := &project{id: "project-" + strconv.Itoa(int(100+s.counts.projects)), name: name, kind: k, team: t, alive: true}
	p.ref = p.id
	s.projects = append(s.projects, p)
	return p
}

// newContract adds a contract of p's kind that p does not have yet, or
// returns nil when it has them all.
func (s *Sim) newContract(p *project) *contract {
	names := p.kind.contracts
	start := s.rnd.IntN(len(names))
	for i := range names {
		name := names[(start+i)%len(names)]
		if !hasContract(p, name) {
			s.counts.contracts += 1 + uint64(s.rnd.IntN(30))
			c := &contract{
				id:       "contract-" + strconv.Itoa(int(4000+s.counts.contracts)),
				name:     name,
				project:  p,
				compiler: compilers[s.rnd.IntN(len(compilers))],
				alive:    true,
			}
			c.ref = c.id
			if strings.HasSuffix(name, ".vy") {
				c.compiler = vyper
			}
			p.contracts = append(p.contracts, c)
			return c
		}
	}
	return nil
}

func hasContract(p *project, name string) bool {
	for _, c := range p.contracts {
		if c.name == name {
			return true
		}
	}
	return false
}

// newFinding records a finding a scan of c reported, in status open.
func (s *Sim) newFinding(c *contract) *finding {
	s.counts.findings++
	n := s.counts.findings
	id := strconv.FormatUint(uint64(mix(uint32(n), s.salt, 24))|1<<24, 16)[1:]
	if n >= 1<<24 {
		id += strconv.FormatUint(n>>24, 16)
	}
	// Severe flaws are rarer: draw twice and keep the milder.
	a, b := s.rnd.IntN(len(flaws)), s.rnd.IntN(len(flaws))
	f := &finding{id: "finding-" + id, flaw: &flaws[max(a, b)], contract: c, status: open}
	f.idx = len(s.open)
	s.open = append(s.open, f)
	return f
}

// setStatus moves f to status, keeping the open list (open, triaged and
// acknowledged findings) and the ring of closed ones up to date.
func (s *Sim) setStatus(f *finding, status string) {
	f.status = status
	isOpen := status == open || status == triaged || status == acknowledged
	switch {
	case isOpen && f.idx < 0:
		f.idx = len(s.open)
		s.open = append(s.open, f)
	case !isOpen && f.idx >= 0:
		s.unlist(f)
		if len(s.closed) < closedKept {
			s.closed = append(s.closed, f)
		} else {
			s.closed[s.closedNext] = f
			s.closedNext = (s.closedNext + 1) % closedKept
		}
	}
}

// unlist takes f out of the open list.
func (s *Sim) unlist(f *finding) {
	last := s.open[len(s.open)-1]
	s.open[f.idx], last.idx = last, f.idx
	s.open[len(s.open)-1] = nil
	s.open = s.open[:len(s.open)-1]
	f.idx = -1
}

func (s *Sim) newKey(purpose int, name string, p *project) *apiKey {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [20]byte
	copy(b[:], "key_")
	for i := 4; i < len(b); i++ {
		b[i] = alphabet[s.rnd.IntN(len(alphabet))]
	}
	k := &apiKey{id: string(b[:]), name: name, purpose: purpose, project: p, alive: true}
	s.keys = append(s.keys, k)
	return k
}

// populate makes the world as it is at Start: members, teams, projects,
// contracts with findings in every status, API keys and settings.
func (s *Sim) populate(members int) {
	for i := range members {
		role := memberRole
		switch {
		case i < 2:
			role = owner
		case i < 2+members/6:
			role = admin
		}
		s.newMember(role, active)
	}
	for range 6 {
		t := s.newTeam()
		for range 3 + s.rnd.IntN(7) {
			if m := s.members[s.rnd.IntN(len(s.members))]; !contains(t.members, m) {
				t.members = append(t.members, m)
			}
		}
	}
	for range 9 {
		p := s.newProject(s.teams[s.rnd.IntN(len(s.teams))])
		for range 2 + s.rnd.IntN(4) {
			c := s.newContract(p)
			if c == nil {
				break
			}
			c.version = 1 + s.rnd.IntN(6)
			for range s.rnd.IntN(9) {
				f := s.newFinding(c)
				switch x := s.rnd.Float64(); {
				case x < 0.3:
				case x < 0.55:
					s.setStatus(f, triaged)
				case x < 0.65:
					s.setStatus(f, acknowledged)
				case x < 0.9:
					s.setStatus(f, fixed)
				default:
					s.setStatus(f, falsePositive)
				}
				if f.status != open && s.rnd.Float64() < 0.7 {
					f.assignee = s.members[s.rnd.IntN(len(s.members))]
				}
			}
		}
		for range s.rnd.IntN(4) {
			if m := s.members[s.rnd.IntN(len(s.members))]; !contains(p.access, m) {
				p.access = append(p.access, m)
			}
		}
	}
	for _, p := range s.projects[:3] {
		s.newKey(ciKey, "GitHub Actions ("+p.name+")", p)
	}
	s.newKey(syncKey, "Jira sync", nil)
	s.newKey(readKey, "Grafana dashboard", nil)
	s.settings = make([]int, len(settingKinds))
	s.seats = members + 10 - members%5
}

func contains[T comparable](list []T, x T) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}
