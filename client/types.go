package client

import (
	"time"

	"github.com/steleaudit/stele/verify"
)

// The wire types of Stele's HTTP API (/v1). The server encodes exactly
// these, so the SDK and the service cannot drift apart.

// An Org is an organization Stele serves.
type Org struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Plan     string `json:"plan"`      // free, developer, startup, professional, enterprise
	TimeZone string `json:"time_zone"` // IANA name
	// RetentionDays is how long events stay viewable: the organization's
	// choice within its plan's bounds, or the plan's default; 0 on plans
	// without audit logs.
	RetentionDays int `json:"retention_days"`
	// RequireMFA says members must have MFA to act in the organization.
	RequireMFA bool      `json:"require_mfa"`
	CreatedAt  time.Time `json:"created_at"`
	// OwnerInvitation is set in the answer to a creation that named an
	// owner: the invitation to send them.
	OwnerInvitation *Invitation `json:"owner_invitation,omitempty"`
}

// OrgCreate is the body of POST /v1/orgs.
type OrgCreate struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Plan     string `json:"plan"`
	TimeZone string `json:"time_zone,omitempty"`
	// OwnerEmail names the organization's owner: the answer holds an
	// invitation for them to accept.
	OwnerEmail string `json:"owner_email,omitempty"`
}

// OrgUpdate is the body of PATCH /v1/orgs/{org}: nil fields stay as they are.
type OrgUpdate struct {
	Name     *string `json:"name,omitempty"`
	Plan     *string `json:"plan,omitempty"`
	TimeZone *string `json:"time_zone,omitempty"`
	// RetentionDays sets how long events stay viewable: 1 to the plan's
	// maximum (90 days on professional, 2555 on enterprise), or 0 for the
	// plan's default.
	RetentionDays *int `json:"retention_days,omitempty"`
	// RequireMFA sets whether members must have MFA to act in the
	// organization.
	RequireMFA *bool `json:"require_mfa,omitempty"`
}

// An APIKey is an organization's credential. Key is set only in the answer
// to its creation; Stele keeps only a hash of it.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Key       string     `json:"key,omitempty"`
}

// APIKeyCreate is the body of POST /v1/orgs/{org}/api-keys.
type APIKeyCreate struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// APIKeyList is the answer of GET /v1/orgs/{org}/api-keys.
type APIKeyList struct {
	Keys []APIKey `json:"api_keys"`
}

// An Entry is one event as a platform sends it (POST /v1/orgs/{org}/events).
type Entry struct {
	// ID is an optional idempotency key, unique within the organization.
	ID string `json:"id,omitempty"`
	// Timestamp is when it happened; zero means when Stele receives it.
	Timestamp time.Time      `json:"timestamp,omitzero"`
	Actor     Actor          `json:"actor"`
	Event     string         `json:"event"`
	Target    *Target        `json:"target,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
	IP        string         `json:"ip_address,omitempty"`
	UserAgent string         `json:"user_agent,omitempty"`
}

// An Actor is who did it: Type is user, api_key or system.
type Actor = verify.Actor

// A Target is what it was done to.
type Target = verify.Target

// EntryBatch is the batch form of POST /v1/orgs/{org}/events.
type EntryBatch struct {
	Events []Entry `json:"events"`
}

// A Receipt is Stele's answer for one sent event.
type Receipt struct {
	ID         string    `json:"id"`
	Seq        int64     `json:"seq"`
	LeafHash   []byte    `json:"leaf_hash"`
	ReceivedAt time.Time `json:"received_at"`
	// Duplicate is set when the id was already in the log; the receipt
	// is the first one's.
	Duplicate bool `json:"duplicate,omitempty"`
	// Proof is the event's inclusion proof in Checkpoint (with
	// ?wait=checkpoint only).
	Proof *InclusionProof `json:"proof,omitempty"`
}

// SendResult is the answer of POST /v1/orgs/{org}/events.
type SendResult struct {
	Events   []Receipt `json:"events"`
	TreeSize int64     `json:"tree_size"`
	// Checkpoint is a signed checkpoint covering every event (with
	// ?wait=checkpoint only), in signed-note form.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// An Event is one stored event: the record as committed to in the log,
// salts included, so that its leaf hash can be recomputed with
// verify.LeafHash.
type Event struct {
	Seq      int64  `json:"seq"`
	LeafHash []byte `json:"leaf_hash"`
	verify.Record
}

// EventList is one page of GET /v1/orgs/{org}/events, newest first.
type EventList struct {
	Events []Event `json:"events"`
	// NextCursor fetches the next (older) page; empty on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
}

// An InclusionProof proves that the leaf at Seq is in the tree of TreeSize
// leaves.
type InclusionProof struct {
	Seq      int64    `json:"seq"`
	TreeSize int64    `json:"tree_size"`
	LeafHash []byte   `json:"leaf_hash"`
	Hashes   [][]byte `json:"hashes"`
}

// A ConsistencyProof proves that the tree of From leaves is a prefix of
// the tree of To leaves.
type ConsistencyProof struct {
	From   int64    `json:"from"`
	To     int64    `json:"to"`
	Hashes [][]byte `json:"hashes"`
}

// ErrorBody is the envelope of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: a stable machine-readable code, a
// message for people, and the offending field's path when there is one.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Facets are counts of the events matching a search (GET
// /v1/orgs/{org}/events/facets): the total, and the most frequent values
// of each field, most frequent first.
type Facets struct {
	Total      int64   `json:"total"`
	Categories []Count `json:"categories"`
	Events     []Count `json:"events"`
	Actors     []Count `json:"actors"`
	Targets    []Count `json:"targets"`
}

// A Count is how many events have a value.
type Count struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// A Histogram counts the events matching a search per hour or day (GET
// /v1/orgs/{org}/events/histogram), in UTC, oldest bucket first.
type Histogram struct {
	Bucket  string            `json:"bucket"` // "hour" or "day"
	From    time.Time         `json:"from"`
	To      time.Time         `json:"to"`
	Buckets []HistogramBucket `json:"buckets"`
}

// A HistogramBucket counts the events of [Start, Start + one bucket).
type HistogramBucket struct {
	Start      time.Time        `json:"start"`
	Count      int64            `json:"count"`
	ByCategory map[string]int64 `json:"by_category,omitempty"`
}
