-- Daily counts of each organization's events by actor and by target, kept
-- by Append in the batch's transaction beside event_hours, so that the
-- facets of a time range read one row per day and actor or target instead
-- of every event. day is the Unix time of the UTC day's start, in
-- nanoseconds; actor is the email, or else the id, that facets name an
-- actor by; target the id, or else the name. Events without one aren't
-- counted here.
--
-- These copy personal data out of events: erasing an actor or target
-- must rename or delete its rows here too.

CREATE TABLE actor_days (
	org INTEGER NOT NULL,
	day INTEGER NOT NULL,
	actor TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (org, day, actor)
) STRICT, WITHOUT ROWID;

CREATE TABLE target_days (
	org INTEGER NOT NULL,
	day INTEGER NOT NULL,
	target TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (org, day, target)
) STRICT, WITHOUT ROWID;

INSERT INTO actor_days (org, day, actor, n)
	SELECT org, (ts / 86400000000000 - (ts < 0 AND ts % 86400000000000 <> 0)) * 86400000000000,
		iif(actor_email <> '', actor_email, actor_id) COLLATE BINARY AS a, count(*)
	FROM events WHERE a <> '' GROUP BY 1, 2, 3;
INSERT INTO target_days (org, day, target, n)
	SELECT org, (ts / 86400000000000 - (ts < 0 AND ts % 86400000000000 <> 0)) * 86400000000000,
		iif(target_id <> '', target_id, target_name) AS t, count(*)
	FROM events WHERE t <> '' GROUP BY 1, 2, 3;

-- A target's heavy days, for finding the top targets of a range without
-- reading all of them (see topTargets in count.go). An entry is written
-- once, when its day reaches the count, so it costs ingest little.
CREATE INDEX target_days_heavy ON target_days (org, day) WHERE n >= 10;
