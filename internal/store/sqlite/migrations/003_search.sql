-- Search: indexes that list the events of one value newest first, and each
-- organization's distinct event types, actors and targets, which search
-- looks up before it reads events (see search.go).
--
-- The indexes on event, actor and target end with ts (and the key), so
-- the events of one event type, actor or target come in List's order,
-- (ts, key) descending, without sorting; a search for several merges them.
-- An actor is found by email, or by id if it has no email; a target by
-- id, or by name if it has no id. The partial indexes make that one index
-- entry per event for its actor and at most one for its target (none
-- without a target): no more than before.
--
-- event_types lists each organization's pairs of category and event type.
-- actors and targets list its actors and targets under the texts a search
-- may name them by that no index of events has: actors by their email, id
-- and name, in lowercase as Go's strings.ToLower has it (search folds
-- actors' case; SQLite's lower() folds only ASCII), with the email, or
-- else the id, that finds their events; targets by their name, with their
-- id, or else their name again. Rows are added as events are appended,
-- never removed, and only ever narrow a search down: events are tested
-- against the query itself. They copy personal data out of events, so
-- erasing an actor or target must delete its rows here too (and make the
-- store forget it wrote them: see distinct.go).

DROP INDEX events_event;
DROP INDEX events_actor;
DROP INDEX events_target;
CREATE INDEX events_event ON events (org, event, ts);
CREATE INDEX events_actor ON events (org, actor_email, ts) WHERE actor_email <> '';
CREATE INDEX events_actor_id ON events (org, actor_id, ts)
	WHERE actor_email = '' AND actor_id <> '';
CREATE INDEX events_target ON events (org, target_id, ts) WHERE target_id <> '';
CREATE INDEX events_target_name ON events (org, target_name, ts)
	WHERE target_id = '' AND target_name <> '';

CREATE TABLE event_types (
	org INTEGER NOT NULL,
	category TEXT NOT NULL,
	event TEXT NOT NULL COLLATE NOCASE,
	PRIMARY KEY (org, category, event)
) STRICT, WITHOUT ROWID;

CREATE TABLE actors (
	org INTEGER NOT NULL,
	text TEXT NOT NULL,
	email TEXT NOT NULL COLLATE NOCASE,
	id TEXT NOT NULL, -- '' unless email is
	PRIMARY KEY (org, text, email, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE targets (
	org INTEGER NOT NULL,
	text TEXT NOT NULL,
	id TEXT NOT NULL,
	name TEXT NOT NULL, -- '' unless id is
	PRIMARY KEY (org, text, id, name)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO event_types (org, category, event)
	SELECT org, category, event FROM events;
INSERT OR IGNORE INTO actors (org, text, email, id)
	SELECT org, stele_lower(actor_email), actor_email, '' FROM events WHERE actor_email <> ''
	UNION ALL
	SELECT org, stele_lower(actor_id), actor_email, iif(actor_email = '', actor_id, '')
		FROM events WHERE actor_id <> ''
	UNION ALL
	SELECT org, stele_lower(actor_name), actor_email, iif(actor_email = '', actor_id, '')
		FROM events WHERE actor_name <> '';
INSERT OR IGNORE INTO targets (org, text, id, name)
	SELECT org, target_name, target_id, iif(target_id = '', target_name, '')
		FROM events WHERE target_name <> '';
