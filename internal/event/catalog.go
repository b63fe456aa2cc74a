package event

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// A Type is an event type of the catalog.
type Type struct {
	Name     string // e.g. "finding.status_changed": word(.word)+, words of [a-z0-9_]
	Category string // e.g. "finding": one word of [a-z0-9_]
	// PersonalTarget marks types whose target is a person: the target of
	// their records is committed to rather than written in the leaf.
	PersonalTarget bool
	// PersonalDetails lists the top-level detail keys that hold personal
	// data; those present in a record's details are committed to.
	PersonalDetails []string
}

// personal data in details, by what the keys say about a person. The actor,
// IP address and user agent are always committed, so what is listed here is
// what names or describes someone else, or the actor again: erasing a person
// erases their plaintext, and a copy in clear in details would outlive it.
// Marking a key that turns out to hold no personal data costs only its
// clear copy in the leaf; missing one that does is a leak, so lean to mark.
var (
	// "email" names a person (or a mailbox someone reads) in any event.
	anyone = []string{"email"}
	// A sign-in may name the identity tried (auth.failed: often not the
	// actor, who may be "system") and, for MFA, a phone number.
	signIn = []string{"email", "phone", "username"}
	// Membership events are about the member, whose name is personal.
	member = []string{"email", "name"}
	// A finding's assignees are people; a comment is a person's own words,
	// free text that often names others.
	assigned  = []string{"assignee", "email", "previous_assignee"}
	commented = []string{"comment", "email"}
	// Billing contacts are people (a sole trader's address is personal).
	billing = []string{"billing_address", "billing_email", "billing_name", "email", "phone"}
	// A search may look for a person ("actor:bob@example.com"), an alert
	// may notify people and fire for one actor's group.
	search  = []string{"email", "query"}
	alert   = []string{"email", "query", "recipients"}
	trigger = []string{"email", "group", "query"}
	// A viewer token names the platform's user it shows the log to.
	viewer = []string{"email", "subject"}
	// Logging an erasure in clear would undo it: the subject is personal.
	erasure = []string{"email", "subject"}
)

// builtins is the built-in catalog. Types whose target is a person:
// member.*, team.member_*, project.access_* and subject.anonymized.
var builtins = []Type{
	{"auth.login", "auth", false, signIn},
	{"auth.logout", "auth", false, signIn},
	{"auth.failed", "auth", false, signIn},
	{"auth.mfa_enabled", "auth", false, signIn},
	{"auth.password_changed", "auth", false, signIn},
	{"auth.mfa_enrollment_started", "auth", false, signIn},

	{"member.invited", "member", true, member},
	{"member.joined", "member", true, member},
	{"member.removed", "member", true, member},
	{"member.role_changed", "member", true, member},

	{"team.created", "team", false, anyone},
	{"team.deleted", "team", false, anyone},
	{"team.member_added", "team", true, member},
	{"team.member_removed", "team", true, member},

	{"project.created", "project", false, anyone},
	{"project.deleted", "project", false, anyone},
	{"project.access_granted", "project", true, member},
	{"project.access_revoked", "project", true, member},

	{"contract.uploaded", "contract", false, anyone},
	{"contract.deleted", "contract", false, anyone},
	{"contract.scanned", "contract", false, anyone},

	{"finding.status_changed", "finding", false, anyone},
	{"finding.assigned", "finding", false, assigned},
	{"finding.commented", "finding", false, commented},

	{"org.settings_changed", "settings", false, anyone},
	{"org.billing_updated", "settings", false, billing},
	{"api_key.created", "settings", false, anyone},
	{"api_key.revoked", "settings", false, anyone},
	{"org.created", "settings", false, anyone},
	{"role.created", "settings", false, anyone},
	{"viewer_token.created", "settings", false, viewer},
	{"viewer_token.revoked", "settings", false, viewer},

	{"audit.exported", "audit", false, search},
	{"audit.viewed", "audit", false, search},
	{"alert.created", "audit", false, alert},
	{"alert.updated", "audit", false, alert},
	{"alert.deleted", "audit", false, anyone},
	{"alert.triggered", "audit", false, trigger},
	{"retention.changed", "audit", false, anyone},
	{"subject.anonymized", "audit", true, erasure},
	{"stream.created", "audit", false, anyone},
	{"stream.deleted", "audit", false, anyone},
	{"stream.updated", "audit", false, anyone},
}

// A Catalog is a set of event types: the built-in ones and those an
// operator registered. Lookup is safe for concurrent use with itself and
// with Register. The zero Catalog is empty; Default has the built-ins.
type Catalog struct {
	mu    sync.Mutex                       // serializes Register
	types atomic.Pointer[map[string]*kind] // replaced whole by Register, never modified
}

// kind is a catalog entry: a Type with its personal labels ready for
// records ("details.<key>", sorted), so parsing allocates none.
type kind struct {
	Type
	labels []string
}

func newKind(t Type) *kind {
	k := &kind{Type: t}
	k.PersonalDetails = slices.Clone(t.PersonalDetails)
	slices.Sort(k.PersonalDetails)
	k.labels = make([]string, len(k.PersonalDetails))
	for i, key := range k.PersonalDetails {
		k.labels[i] = "details." + key
	}
	return k
}

var builtinKinds = func() map[string]*kind {
	m := make(map[string]*kind, len(builtins))
	for _, t := range builtins {
		if err := validType(t); err != nil {
			panic(err)
		}
		m[t.Name] = newKind(t)
	}
	return m
}()

// defaultCatalog serves ParseEvent and ParseBatch when given no catalog.
var defaultCatalog = Default()

// Default returns a new catalog holding the built-in types.
func Default() *Catalog {
	c := new(Catalog)
	m := maps.Clone(builtinKinds) // kinds are immutable, so sharing them is safe
	c.types.Store(&m)
	return c
}

// Lookup returns the type named name. Names are case-insensitive (ASCII
// only: "AUTH.LOGIN" finds auth.login, but no Unicode case folding lets
// "api_\u212Aey.created" with a Kelvin sign pass for api_key.created).
func (c *Catalog) Lookup(name string) (Type, bool) {
	k := c.lookup(name)
	if k == nil {
		return Type{}, false
	}
	t := k.Type
	t.PersonalDetails = slices.Clone(t.PersonalDetails)
	return t, true
}

func (c *Catalog) lookup(name string) *kind {
	m := c.types.Load()
	if m == nil {
		return nil
	}
	name, ok := asciiLower(name)
	if !ok {
		return nil
	}
	return (*m)[name]
}

// asciiLower lowercases s, allocating only when s has upper-case letters.
// It fails when s has non-ASCII bytes: no type name has any.
func asciiLower(s string) (string, bool) {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return "", false
		}
		upper = upper || c >= 'A' && c <= 'Z'
	}
	if !upper {
		return s, true
	}
	return strings.ToLower(s), true
}

// Register adds t to the catalog, or replaces the type of the same name
// that an earlier Register added; records already parsed keep what they
// were parsed with. It refuses to redefine a built-in type.
func (c *Catalog) Register(t Type) error {
	if err := validType(t); err != nil {
		return err
	}
	if _, ok := builtinKinds[t.Name]; ok {
		return fmt.Errorf("event: %s is a built-in type and cannot be redefined", t.Name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]*kind{}
	if old := c.types.Load(); old != nil {
		m = maps.Clone(*old)
	}
	m[t.Name] = newKind(t)
	c.types.Store(&m)
	return nil
}

func validType(t Type) error {
	words := strings.Split(t.Name, ".")
	if len(words) < 2 || !allWords(words) {
		return fmt.Errorf("event: type name %q is not word(.word)+ with words of [a-z0-9_]", t.Name)
	}
	if !allWords([]string{t.Category}) {
		return fmt.Errorf("event: type %s: category %q is not one word of [a-z0-9_]", t.Name, t.Category)
	}
	for i, k := range t.PersonalDetails {
		switch {
		case k == "" || len(k) > MaxStringSize || !utf8.ValidString(k):
			return fmt.Errorf("event: type %s: personal detail key %q is empty, too long or not UTF-8", t.Name, k)
		case slices.Contains(t.PersonalDetails[:i], k):
			return fmt.Errorf("event: type %s: personal detail key %q is listed twice", t.Name, k)
		}
	}
	return nil
}

func allWords(words []string) bool {
	for _, w := range words {
		if w == "" {
			return false
		}
		for i := 0; i < len(w); i++ {
			if c := w[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Types returns the catalog's types sorted by name.
func (c *Catalog) Types() []Type {
	m := c.types.Load()
	if m == nil {
		return nil
	}
	types := make([]Type, 0, len(*m))
	for _, k := range *m {
		t := k.Type
		t.PersonalDetails = slices.Clone(t.PersonalDetails)
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b Type) int { return strings.Compare(a.Name, b.Name) })
	return types
}

// Categories returns the categories of the catalog's types, sorted.
func (c *Catalog) Categories() []string {
	var cats []string
	if m := c.types.Load(); m != nil {
		for _, k := range *m {
			cats = append(cats, k.Category)
		}
	}
	slices.Sort(cats)
	return slices.Compact(cats)
}
