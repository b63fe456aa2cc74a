-- The first schema: organizations' tree heads, their events with the
-- indexes search needs, tree hash tiles and signed checkpoints.
--
-- events is keyed by insertion order, so a batch appends to the end of the
-- table instead of writing into every organization's part of it (half the
-- pages written per batch), and (org, seq) is an index. Within an
-- organization, key order is seq order, as the ledger appends in seq order;
-- every (org, x) index ends with the key, so a search on one of them pages
-- newest first (ORDER BY key DESC) without sorting.
--
-- Indexes are few: each costs ingest about as many page writes per batch
-- as it has distinct (org, x) values in the batch. event and actor_email
-- compare without ASCII case, so that both = and LIKE 'prefix%' use their
-- index. id_hash is the first 8 bytes of SHA-256(id), NULL without an id.
-- Times are Unix nanoseconds, UTC.

CREATE TABLE orgs (
	num INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	tree_size INTEGER NOT NULL,
	tree_root BLOB
) STRICT;

CREATE TABLE events (
	key INTEGER PRIMARY KEY,
	org INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	id TEXT NOT NULL,
	id_hash INTEGER,
	ts INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	event TEXT NOT NULL COLLATE NOCASE,
	category TEXT NOT NULL,
	actor_type TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	actor_email TEXT NOT NULL COLLATE NOCASE,
	actor_name TEXT NOT NULL,
	target_type TEXT NOT NULL,
	target_id TEXT NOT NULL,
	target_name TEXT NOT NULL,
	ip TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	details TEXT,
	personal TEXT,
	salt BLOB,
	commitments TEXT
) STRICT;

CREATE UNIQUE INDEX events_seq ON events (org, seq);
CREATE INDEX events_id ON events (org, id_hash) WHERE id_hash IS NOT NULL;
CREATE INDEX events_ts ON events (org, ts);
CREATE INDEX events_event ON events (org, event);
CREATE INDEX events_actor ON events (org, actor_email);
CREATE INDEX events_target ON events (org, target_id);

CREATE TABLE tiles (
	org INTEGER NOT NULL,
	level INTEGER NOT NULL,
	n INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (org, level, n)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkpoints (
	org INTEGER NOT NULL,
	size INTEGER NOT NULL,
	note BLOB NOT NULL,
	signed_at INTEGER NOT NULL,
	PRIMARY KEY (org, size)
) STRICT, WITHOUT ROWID;
