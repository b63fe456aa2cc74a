package simulate

import (
	"math"
	"time"

	"github.com/steleaudit/stele/client"
)

// What admins and owners do to the organization: its people, teams and
// projects. Like the actions of actions.go, each reports false, changing
// nothing, when it cannot be done now.

func projectTarget(p *project) *client.Target {
	return &client.Target{Type: "project", ID: p.id, Name: p.name}
}

func teamTarget(t *team) *client.Target {
	return &client.Target{Type: "team", ID: t.id, Name: t.name}
}

// teamOf returns a team m is in, or any team; nil when there are none.
func (s *Sim) teamOf(m *member) *team {
	if len(s.teams) == 0 {
		return nil
	}
	start := s.rnd.IntN(len(s.teams))
	for i := range s.teams {
		if t := s.teams[(start+i)%len(s.teams)]; contains(t.members, m) {
			return t
		}
	}
	return s.teams[start]
}

func (s *Sim) createProject(m *member, _ time.Time, e *client.Entry) bool {
	if len(s.projects) >= maxProjects {
		return false
	}
	t := s.teamOf(m)
	p := s.newProject(t)
	e.Event, e.Target = "project.created", projectTarget(p)
	d := map[string]any{"visibility": s.setting(projectVisibility)}
	if t != nil {
		d["team_id"], d["team_name"] = t.id, t.name
	}
	e.Details = d
	return true
}

func (s *Sim) deleteProject(_ *member, _ time.Time, e *client.Entry) bool {
	if len(s.projects) <= 6 {
		return false
	}
	p := s.someProject()
	p.alive = false
	for _, c := range p.contracts {
		c.alive = false
	}
	s.projects = without(s.projects, p)
	e.Event, e.Target = "project.deleted", projectTarget(p)
	e.Details = map[string]any{"contracts": len(p.contracts)}
	return true
}

func (s *Sim) grantAccess(m *member, _ time.Time, e *client.Entry) bool {
	p, who := s.someProject(), s.someActive()
	if p == nil || who == m || contains(p.access, who) {
		return false
	}
	p.access = append(p.access, who)
	e.Event, e.Target = "project.access_granted", who.target()
	e.Details = map[string]any{
		"project_id":   p.ref,
		"project_name": p.name,
		"permission":   [...]string{"read", "write", "write", "admin"}[s.rnd.IntN(4)],
	}
	return true
}

func (s *Sim) revokeAccess(_ *member, _ time.Time, e *client.Entry) bool {
	p := s.someProject()
	if p == nil || len(p.access) == 0 {
		return false
	}
	who := p.access[s.rnd.IntN(len(p.access))]
	p.access = without(p.access, who)
	e.Event, e.Target = "project.access_revoked", who.target()
	e.Details = map[string]any{"project_id": p.ref, "project_name": p.name}
	return true
}

func (s *Sim) deleteContract(_ *member, _ time.Time, e *client.Entry) bool {
	p := s.someProject()
	if p == nil || len(p.contracts) < 2 {
		return false
	}
	c := p.contracts[s.rnd.IntN(len(p.contracts))]
	c.alive = false
	p.contracts = without(p.contracts, c)
	e.Event, e.Target = "contract.deleted", c.target()
	e.Details = map[string]any{"project_id": p.ref, "project_name": p.name, "version": c.version}
	return true
}

func (s *Sim) createTeam(_ *member, _ time.Time, e *client.Entry) bool {
	if len(s.teams) >= maxTeams {
		return false
	}
	t := s.newTeam()
	e.Event, e.Target = "team.created", teamTarget(t)
	e.Details = map[string]any{"privacy": [...]string{"visible", "visible", "secret"}[s.rnd.IntN(3)]}
	return true
}

// smallestTeam returns the team with the fewest members, or nil.
func (s *Sim) smallestTeam() *team {
	var small *team
	for _, t := range s.teams {
		if small == nil || len(t.members) < len(small.members) {
			small = t
		}
	}
	return small
}

func (s *Sim) deleteTeam(_ *member, _ time.Time, e *client.Entry) bool {
	if len(s.teams) <= 4 {
		return false
	}
	t := s.smallestTeam()
	t.alive = false
	s.teams = without(s.teams, t)
	for _, p := range s.projects {
		if p.team == t {
			p.team = nil
		}
	}
	e.Event, e.Target = "team.deleted", teamTarget(t)
	e.Details = map[string]any{"members": len(t.members)}
	return true
}

func (s *Sim) addToTeam(_ *member, _ time.Time, e *client.Entry) bool {
	if len(s.teams) == 0 {
		return false
	}
	t := s.teams[s.rnd.IntN(len(s.teams))]
	if s.rnd.Float64() < 0.4 {
		t = s.smallestTeam()
	}
	who := s.someActive()
	if contains(t.members, who) {
		return false
	}
	t.members = append(t.members, who)
	e.Event, e.Target = "team.member_added", who.target()
	e.Details = map[string]any{"team_id": t.id, "team_name": t.name}
	return true
}

func (s *Sim) removeFromTeam(_ *member, _ time.Time, e *client.Entry) bool {
	if len(s.teams) == 0 {
		return false
	}
	t := s.teams[s.rnd.IntN(len(s.teams))]
	if len(t.members) < 2 {
		return false
	}
	who := t.members[s.rnd.IntN(len(t.members))]
	t.members = without(t.members, who)
	e.Event, e.Target = "team.member_removed", who.target()
	e.Details = map[string]any{"team_id": t.id, "team_name": t.name}
	return true
}

// invite invites someone new, who joins some hours or days later, in
// their working hours, or never does.
func (s *Sim) invite(m *member, at time.Time, e *client.Entry) bool {
	if len(s.members) >= s.target {
		return false
	}
	role := memberRole
	if s.rnd.Float64() < 0.15 {
		role = admin
	}
	who := s.newMember(role, invited)
	e.Event, e.Target = "member.invited", who.target()
	e.Details = map[string]any{"email": who.email, "role": role}
	if s.rnd.Float64() < 0.15 {
		s.schedule(pending{due: at.Add(7 * 24 * time.Hour), kind: kExpire, m: who})
		return true
	}
	delay := time.Duration(s.lognormal(math.Log(3*3600), 1.3) * float64(time.Second))
	due := at.Add(min(max(delay, 4*time.Minute), 5*24*time.Hour)).Truncate(time.Millisecond)
	if who.activity(due.Unix()) < 0.3 {
		due = time.Unix(s.nextMorning(who, due.Unix()), 0).UTC()
	}
	s.schedule(pending{due: due, kind: kJoin, m: who})
	return true
}

func (s *Sim) removeMember(m *member, _ time.Time, e *client.Entry) bool {
	who := s.someActive()
	if who == m || who.role == owner || who.role == admin && m.role != owner || s.activeCount() <= s.target*3/4 {
		return false
	}
	e.Event, e.Target = "member.removed", who.target()
	e.Details = map[string]any{"email": who.email, "role": word(who.role)}
	s.dropMember(who)
	return true
}

func (s *Sim) changeRole(m *member, _ time.Time, e *client.Entry) bool {
	who := s.someActive()
	if who == m {
		return false
	}
	var owners, admins int
	for _, x := range s.members {
		if x.state == active {
			switch x.role {
			case owner:
				owners++
			case admin:
				admins++
			}
		}
	}
	old, next := who.role, ""
	switch x := s.rnd.Float64(); {
	case old == memberRole && 5*admins < len(s.members):
		next = admin
	case old == admin && m.role == owner && owners < 3 && x < 0.3:
		next = owner
	case old == admin && x < 0.6:
		next = memberRole
	case old == owner && m.role == owner && owners > 2:
		next = admin
	default:
		return false
	}
	who.role = next
	e.Event, e.Target = "member.role_changed", who.target()
	e.Details = map[string]any{"email": who.email, "old_role": word(old), "new_role": word(next)}
	return true
}
