package ledger_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/steleaudit/stele/verify"
)

// A generator makes realistic events: ~500 bytes each, orgs and actors
// drawn Zipf-like (a few busy ones, a long tail), the platform's event mix.
type generator struct {
	rnd    *rand.Rand
	orgs   *rand.Zipf
	actors *rand.Zipf
	n      int
	now    time.Time
}

func newGenerator(seed uint64, orgs int) *generator {
	r := rand.New(rand.NewPCG(seed, 1))
	return &generator{
		rnd:    r,
		orgs:   rand.NewZipf(r, 1.2, 1, uint64(orgs-1)),
		actors: rand.NewZipf(r, 1.1, 1, 4999),
		now:    time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	}
}

var genTypes = []struct{ event, category string }{
	{"auth.login", "auth"}, {"auth.login", "auth"}, {"auth.failed", "auth"}, {"auth.logout", "auth"},
	{"finding.status_changed", "finding"}, {"finding.assigned", "finding"}, {"finding.commented", "finding"},
	{"contract.uploaded", "contract"}, {"contract.scanned", "contract"}, {"project.created", "project"},
	{"member.invited", "member"}, {"member.role_changed", "member"}, {"team.member_added", "team"},
	{"api_key.created", "settings"}, {"project.deleted", "project"},
}

var userAgents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
	"platform-sdk-go/1.4.2",
}

func (g *generator) org() string { return fmt.Sprintf("org-%04d", g.orgs.Uint64()) }

func (g *generator) record() *verify.Record {
	g.n++
	t := genTypes[g.rnd.IntN(len(genTypes))]
	actor := g.actors.Uint64()
	r := &verify.Record{
		ID:        fmt.Sprintf("evt-%08d-%016x", g.n, g.rnd.Uint64()),
		Timestamp: g.now.Add(time.Duration(g.n) * time.Second),
		Event:     t.event,
		Category:  t.category,
		Actor:     verify.Actor{Type: "user", Email: fmt.Sprintf("user%04d@customer-%03d.example.com", actor, actor%97)},
		Target:    verify.Target{Type: t.category, ID: fmt.Sprintf("%s-%06d", t.category, g.rnd.IntN(100000))},
		IP:        fmt.Sprintf("203.0.%d.%d", g.rnd.IntN(4), g.rnd.IntN(250)),
		UserAgent: userAgents[g.rnd.IntN(len(userAgents))],
		Details: fmt.Appendf(nil, `{"new_status":"fixed","note":"reviewed in sprint %d; see ticket SEC-%d","old_status":"open","severity":"high"}`,
			g.rnd.IntN(100), g.rnd.IntN(100000)),
	}
	if t.event == "member.invited" {
		r.Details = fmt.Appendf(nil, `{"email":"invitee%d@example.com","role":"member"}`, g.rnd.IntN(100000))
		r.Personal = []string{"details.email", "target"}
	}
	return r
}

func (g *generator) batch(n int) []*verify.Record {
	recs := make([]*verify.Record, n)
	for i := range recs {
		recs[i] = g.record()
	}
	return recs
}
