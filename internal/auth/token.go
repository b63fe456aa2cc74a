package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// Credentials are random strings with a recognizable prefix, so that
// secret scanners can find leaked ones:
//
//	stele_platform_<32 base32>          the platform token
//	stele_key_<16 base32>_<32 base32>   an API key; key_<16 base32> is its id
//
// Both carry at least 160 random bits, so a fast hash (SHA-256) is a safe
// way to store them: there is nothing to guess.
const (
	platformPrefix = "stele_platform_"
	keyPrefix      = "stele_key_"
	idLen          = 16
	secretLen      = 32
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func random(n int) string {
	b := make([]byte, n*5/8)
	rand.Read(b)
	return b32.EncodeToString(b)
}

// Hash returns the stored form of a credential.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// NewPlatformToken returns a fresh platform token.
func NewPlatformToken() string { return platformPrefix + random(secretLen) }

// NewAPIKey returns a fresh API key for org and the record to store.
func NewAPIKey(org, name string, scopes []Scope, now time.Time) (string, store.APIKey) {
	id := random(idLen)
	key := keyPrefix + id + "_" + random(secretLen)
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	return key, store.APIKey{
		ID:        "key_" + id,
		Org:       org,
		Name:      name,
		Scopes:    names,
		Hash:      Hash(key),
		CreatedAt: now.UTC(),
	}
}

// keyID returns the id of the API key token, if token has an API key's
// form.
func keyID(token string) (string, bool) { return tokenID(token, keyPrefix, "key_") }

// tokenID returns idPrefix and the id part of token, if token is prefix,
// an id and a secret: <prefix><16 base32>_<32 base32>.
func tokenID(token, prefix, idPrefix string) (string, bool) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok || len(rest) != idLen+1+secretLen || rest[idLen] != '_' || !isB32(rest[:idLen]) || !isB32(rest[idLen+1:]) {
		return "", false
	}
	return idPrefix + rest[:idLen], true
}

// ValidKeyID reports whether id has the form of an API key id.
func ValidKeyID(id string) bool {
	rest, ok := strings.CutPrefix(id, "key_")
	return ok && len(rest) == idLen && isB32(rest)
}

// isB32 reports whether s is in b32's alphabet.
func isB32(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// NewID returns a fresh public id with prefix, such as "usr_" for a user.
func NewID(prefix string) string { return prefix + random(idLen) }

// invitePrefix starts an invitation's token.
const invitePrefix = "stele_invite_"

// NewInvitationToken returns a fresh invitation token.
func NewInvitationToken() string { return invitePrefix + random(secretLen) }

// ValidInvitationToken reports whether token has an invitation token's
// form.
func ValidInvitationToken(token string) bool {
	rest, ok := strings.CutPrefix(token, invitePrefix)
	return ok && len(rest) == secretLen && isB32(rest)
}

// viewerPrefix starts a viewer token: stele_viewer_<16 base32>_<32
// base32>, of which vt_<16 base32> is the id.
const viewerPrefix = "stele_viewer_"

// ViewerPermissions are what a viewer token may grant: seeing, not
// changing.
var ViewerPermissions = []Permission{AuditRead, AuditExport}

// NewViewerToken returns a fresh viewer token of org for subject, valid
// for ttl, and the record to store.
func NewViewerToken(org, subject string, perms []Permission, now time.Time, ttl time.Duration) (string, store.ViewerToken) {
	id := random(idLen)
	token := viewerPrefix + id + "_" + random(secretLen)
	names := make([]string, len(perms))
	for i, p := range perms {
		names[i] = string(p)
	}
	now = now.UTC()
	return token, store.ViewerToken{ID: "vt_" + id, Org: org, Subject: subject, Permissions: names,
		Hash: Hash(token), CreatedAt: now, ExpiresAt: now.Add(ttl)}
}

// viewerID returns the id of the viewer token, if token has a viewer
// token's form.
func viewerID(token string) (string, bool) { return tokenID(token, viewerPrefix, "vt_") }

// ValidViewerID reports whether id has the form of a viewer token id.
func ValidViewerID(id string) bool {
	rest, ok := strings.CutPrefix(id, "vt_")
	return ok && len(rest) == idLen && isB32(rest)
}
