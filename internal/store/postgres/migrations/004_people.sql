-- People: accounts, their memberships and roles in organizations, their
-- sessions, and invitations. Read by key a few times per request, written
-- a few times per sign-in: plain tables keyed for their lookups.
--
-- Distribution: members, roles and invitations are keyed by org first,
-- like every table of an organization's log. users and sessions belong to
-- no organization (a person may be in several): on a sharded PostgreSQL
-- they are reference tables, or live on the coordinator.
--
-- Only hashes of tokens are kept (SHA-256); password_hash is a PHC
-- string; recovery_codes the unused codes' hashes. Times are Unix
-- nanoseconds, UTC. The store checks references itself.

CREATE TABLE users (
	id text COLLATE "C" PRIMARY KEY,
	email text COLLATE "C" NOT NULL UNIQUE,
	name text COLLATE "C" NOT NULL,
	password_hash text COLLATE "C" NOT NULL,
	mfa_secret bytea,
	mfa_pending bytea,
	mfa_step bigint NOT NULL,
	recovery_codes bytea[] NOT NULL,
	created_at bigint NOT NULL
);

CREATE TABLE members (
	org text COLLATE "C" NOT NULL,
	user_id text COLLATE "C" NOT NULL,
	role text COLLATE "C" NOT NULL,
	created_at bigint NOT NULL,
	PRIMARY KEY (org, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE roles (
	org text COLLATE "C" NOT NULL,
	name text COLLATE "C" NOT NULL,
	permissions text[] COLLATE "C" NOT NULL,
	created_at bigint NOT NULL,
	PRIMARY KEY (org, name)
);

CREATE TABLE sessions (
	hash bytea PRIMARY KEY,
	user_id text COLLATE "C" NOT NULL,
	mfa_pending boolean NOT NULL,
	created_at bigint NOT NULL,
	expires_at bigint NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, expires_at);

CREATE TABLE invitations (
	org text COLLATE "C" NOT NULL,
	hash bytea NOT NULL,
	id text COLLATE "C" NOT NULL,
	email text COLLATE "C" NOT NULL,
	role text COLLATE "C" NOT NULL,
	invited_by text COLLATE "C" NOT NULL,
	created_at bigint NOT NULL,
	expires_at bigint NOT NULL,
	accepted_at bigint,
	PRIMARY KEY (hash),
	UNIQUE (id)
);

-- viewer_tokens are looked up by id, unique across organizations, as
-- api_keys are (and distributed the same way).
CREATE TABLE viewer_tokens (
	id text COLLATE "C" PRIMARY KEY,
	org text COLLATE "C" NOT NULL,
	subject text COLLATE "C" NOT NULL,
	permissions text[] COLLATE "C" NOT NULL,
	hash bytea NOT NULL,
	created_at bigint NOT NULL,
	expires_at bigint NOT NULL,
	revoked_at bigint
);
