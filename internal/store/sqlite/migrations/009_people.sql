-- People: accounts, their memberships and roles in organizations, their
-- sessions, and invitations. These are read by key a few times per
-- request and written a few times per sign-in, so they are plain tables
-- keyed for their lookups, apart from the events' schema.
--
-- org is the organization's id (not its number): a membership is looked
-- up by it on every request, without a join. Only hashes of tokens are
-- kept (SHA-256); password_hash is a PHC string; recovery_codes a JSON
-- array of the unused codes' hashes in hex. Times are Unix nanoseconds,
-- UTC. The store checks references itself: foreign keys are not
-- enforced.

CREATE TABLE users (
	id TEXT PRIMARY KEY,
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	mfa_secret BLOB,
	mfa_pending BLOB,
	mfa_step INTEGER NOT NULL,
	recovery_codes TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE members (
	org TEXT NOT NULL,
	user_id TEXT NOT NULL,
	role TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (org, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX members_user ON members (user_id);

CREATE TABLE roles (
	org TEXT NOT NULL,
	name TEXT NOT NULL,
	permissions TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (org, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE sessions (
	hash BLOB PRIMARY KEY,
	user_id TEXT NOT NULL,
	mfa_pending INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_user ON sessions (user_id, expires_at);

CREATE TABLE invitations (
	hash BLOB PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	org TEXT NOT NULL,
	email TEXT NOT NULL,
	role TEXT NOT NULL,
	invited_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	accepted_at INTEGER
) STRICT, WITHOUT ROWID;

-- viewer_tokens are looked up by id, unique across organizations, as API
-- keys are; permissions is a JSON array of strings.
CREATE TABLE viewer_tokens (
	id TEXT PRIMARY KEY,
	org TEXT NOT NULL,
	subject TEXT NOT NULL,
	permissions TEXT NOT NULL,
	hash BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER
) STRICT, WITHOUT ROWID;
