-- The first schema. See the package documentation for why it is shaped
-- this way; in short: every table is keyed by org first, events are
-- partitioned by month of their timestamp, and indexes follow the shapes
-- of the searches. Text compares bytewise (COLLATE "C") everywhere, so
-- that ordering is Go's and LIKE 'prefix%' can use an index. Times are
-- Unix nanoseconds, UTC.

-- orgs: one row per log, the head of its tree; a registered organization
-- once created_at is set. LockHead locks the row.
CREATE TABLE orgs (
	id text COLLATE "C" PRIMARY KEY,
	tree_size bigint NOT NULL DEFAULT 0,
	tree_root bytea,
	name text COLLATE "C",
	plan text COLLATE "C",
	time_zone text COLLATE "C",
	created_at bigint
);

-- leaves: one narrow row per leaf, the log's index by position and by
-- client id, which a table partitioned by time cannot give (its unique and
-- lookup indexes are per partition). Its primary key makes a seq stored
-- twice a conflict. id_hash is the first 8 bytes of SHA-256(id), NULL
-- without an id.
CREATE TABLE leaves (
	org text COLLATE "C" NOT NULL,
	seq bigint NOT NULL,
	ts bigint NOT NULL,
	id_hash bigint,
	PRIMARY KEY (org, seq)
);
CREATE INDEX leaves_id ON leaves (org, id_hash) WHERE id_hash IS NOT NULL;

-- events: the records, partitioned by month of ts (Append creates the
-- partitions, events_YYYY_MM; events_default takes what falls in none).
-- ip_addr is ip parsed as Go parses it, NULL if it is no address (or has a
-- zone), for ip: searches. details is the JSON text as given, byte for
-- byte; personal and commitments are JSON the store decodes.
CREATE TABLE events (
	org text COLLATE "C" NOT NULL,
	ts bigint NOT NULL,
	seq bigint NOT NULL,
	received_at bigint NOT NULL,
	id text COLLATE "C" NOT NULL,
	event text COLLATE "C" NOT NULL,
	category text COLLATE "C" NOT NULL,
	actor_type text COLLATE "C" NOT NULL,
	actor_id text COLLATE "C" NOT NULL,
	actor_email text COLLATE "C" NOT NULL,
	actor_name text COLLATE "C" NOT NULL,
	target_type text COLLATE "C" NOT NULL,
	target_id text COLLATE "C" NOT NULL,
	target_name text COLLATE "C" NOT NULL,
	ip text COLLATE "C" NOT NULL,
	ip_addr inet,
	user_agent text COLLATE "C" NOT NULL,
	details text COLLATE "C",
	personal jsonb,
	salt bytea,
	commitments jsonb,
	PRIMARY KEY (org, ts, seq)
) PARTITION BY RANGE (ts);

CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Each index lists one value's events in List's order, (ts, seq)
-- descending when read backwards. An actor is indexed by email, else id;
-- a target by id, else name; those with neither are not.
CREATE INDEX events_event ON events (org, event, ts, seq);
CREATE INDEX events_actor ON events
	(org, (CASE WHEN actor_email <> '' THEN actor_email ELSE actor_id END), ts, seq)
	WHERE actor_email <> '' OR actor_id <> '';
CREATE INDEX events_target ON events
	(org, (CASE WHEN target_id <> '' THEN target_id ELSE target_name END), ts, seq)
	WHERE target_id <> '' OR target_name <> '';

-- tiles and checkpoints: the tree's hashes (tlog tiles) and signed notes.
CREATE TABLE tiles (
	org text COLLATE "C" NOT NULL,
	level integer NOT NULL,
	n bigint NOT NULL,
	data bytea NOT NULL,
	PRIMARY KEY (org, level, n)
);

CREATE TABLE checkpoints (
	org text COLLATE "C" NOT NULL,
	size bigint NOT NULL,
	note bytea NOT NULL,
	signed_at bigint NOT NULL,
	PRIMARY KEY (org, size)
);

-- api_keys is keyed by the key's id, unique across organizations: a key
-- is looked up by id before its organization is known.
CREATE TABLE api_keys (
	id text COLLATE "C" PRIMARY KEY,
	org text COLLATE "C" NOT NULL,
	name text COLLATE "C" NOT NULL,
	scopes text[] COLLATE "C" NOT NULL,
	hash bytea NOT NULL,
	created_at bigint NOT NULL,
	revoked_at bigint
);
CREATE INDEX api_keys_org ON api_keys (org, created_at, id);

-- The distinct values a search looks up before it reads events: each
-- organization's event types, and its actors and targets under the texts
-- a search names them by, with the key of their events in events_actor
-- or events_target. Actors' texts are lowercased as Go's strings.ToLower
-- has it (search folds actors' case); targets' are as they are. Append
-- adds rows, nothing removes them; they only narrow a search down, as
-- events are tested against the query itself.
CREATE TABLE event_types (
	org text COLLATE "C" NOT NULL,
	category text COLLATE "C" NOT NULL,
	event text COLLATE "C" NOT NULL,
	PRIMARY KEY (org, category, event)
);

CREATE TABLE actors (
	org text COLLATE "C" NOT NULL,
	text text COLLATE "C" NOT NULL,
	key text COLLATE "C" NOT NULL, -- email, else id; '' for neither
	PRIMARY KEY (org, text, key)
);

CREATE TABLE targets (
	org text COLLATE "C" NOT NULL,
	text text COLLATE "C" NOT NULL,
	key text COLLATE "C" NOT NULL, -- id, else name
	PRIMARY KEY (org, text, key)
);
