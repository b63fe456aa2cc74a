-- Registered organizations and their API keys.
--
-- A row of orgs is a log; it is a registered organization once created_at
-- is set. The ledger creates logs on first append, so a log may exist
-- without one, and registering fills in the row it finds. name, plan and
-- time_zone are set together with created_at.
--
-- api_keys is keyed by the public key id, unique across organizations.
-- scopes is a JSON array of strings; hash is SHA-256 of the whole key;
-- revoked_at is NULL while the key is valid. Without a rowid, the
-- (org, created_at) index ends with the id, so an organization's keys list
-- oldest first, ties by id, without sorting. org references orgs (num),
-- which the store checks itself: foreign keys are not enforced.
-- Times are Unix nanoseconds, UTC.

ALTER TABLE orgs ADD COLUMN name TEXT;
ALTER TABLE orgs ADD COLUMN plan TEXT;
ALTER TABLE orgs ADD COLUMN time_zone TEXT;
ALTER TABLE orgs ADD COLUMN created_at INTEGER;

CREATE TABLE api_keys (
	id TEXT PRIMARY KEY,
	org INTEGER NOT NULL REFERENCES orgs (num),
	name TEXT NOT NULL,
	scopes TEXT NOT NULL,
	hash BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX api_keys_org ON api_keys (org, created_at);
