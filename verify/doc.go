// Package verify checks a Stele audit log offline, with nothing but the
// log's verifier key: checkpoint signatures, inclusion and consistency
// proofs, and the leaf hash of a record. It depends only on the standard
// library and golang.org/x/mod, so an auditor can read it in one sitting.
//
// # Logs
//
// Each organization has its own append-only log: an RFC 6962 Merkle tree
// (leaf hash SHA-256(0x00 ‖ leaf), node hash SHA-256(0x01 ‖ left ‖ right))
// whose leaf at index n is the organization's event with seq n.
//
// # Checkpoints
//
// A checkpoint is a C2SP signed note (c2sp.org/signed-note) whose text is
// a C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint), exactly three lines:
//
//	<origin>              e.g. stele.example/org/acme
//	<tree size>           decimal, no leading zeros
//	<root hash>           standard base64 of the 32-byte RFC 6962 root
//
// signed with Ed25519 (note signature type 0x01). One key signs the logs of
// every organization of a Stele deployment; its verifier key is
// "<name>+<key id>+<base64 key>" as golang.org/x/mod/sumdb/note writes it.
// The origin is "<name>/org/<org id>", so a checkpoint cannot be passed off
// as another organization's.
//
// # Leaf encoding, version 1
//
// A leaf is the ASCII line "stele-leaf/v1", a newline (0x0A), and the RFC
// 8785 canonical JSON (JCS) of one object with these members:
//
//	actor_type    "user", "api_key" or "system"
//	category      the event's category, e.g. "finding"
//	commitments   object: label → commitment in standard padded base64
//	details       the event's details object without its personal members
//	event         the event type, e.g. "finding.status_changed"
//	id            the event's id, unique within the organization
//	org           the organization's id
//	received_at   when the log received it, RFC 3339 UTC (see below)
//	target        object with the non-empty members of id, name and type;
//	              absent when the target is empty or personal
//	timestamp     when it happened, RFC 3339 UTC (see below)
//
// Details are I-JSON (RFC 7493): no duplicate member names, valid UTF-8,
// and numbers that an IEEE double holds exactly when they are integers
// (magnitude at most 2^53); Stele refuses anything else at ingest, so one
// details object has one canonical form.
//
// Times are written in UTC with the letter Z and as many fractional-second
// digits as needed, none for whole seconds (Go's time.RFC3339Nano).
//
// Personal data never enters a leaf in clear. Each personal value enters as
// a commitment SHA-256(salt ‖ label ‖ 0x00 ‖ value), where salt is the
// record's 16 random bytes, label is one of the names below, and value is:
//
//	actor          JCS of the non-empty members of email, id and name
//	ip_address     the address as text (Go's netip.Addr.String)
//	user_agent     the user agent string, as UTF-8
//	target         JCS of the target object (when the record marks it personal)
//	details.<key>  JCS of that detail's value (when the record marks it personal)
//
// The actor always has a commitment; the IP address and user agent have one
// when present. The plaintext and salt are stored beside the leaf, so
// anyone holding them can recompute the leaf hash (see LeafData); erasing a
// person deletes plaintext and salt and keeps the commitments, so the leaf,
// its hash and every proof stay valid.
//
// # What verification proves
//
// A valid inclusion proof against a signed checkpoint proves that a leaf is
// in the log the key holder signed; a valid consistency proof between two
// checkpoints proves the later log extends the earlier one unchanged. It
// cannot show that a key holder who rewrites the whole log and re-signs it
// has done so, unless someone kept an earlier checkpoint: save checkpoints
// (or signed exports) outside Stele and check them against later ones.
package verify
