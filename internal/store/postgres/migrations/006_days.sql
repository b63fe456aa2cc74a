-- Daily counts of each organization's events by actor and by target, kept
-- by Append in the batch's transaction beside event_hours, so that the
-- facets of a time range read one row per day and actor or target instead
-- of every event. day is the Unix time of the UTC day's start, in
-- nanoseconds; actor is the key events_actor indexes, the email or else
-- the id; target events_target's, the id or else the name. Events without
-- one aren't counted here, nor are those of the partial day before
-- -9223286400000000000, the first whole day that bigint holds: facets read
-- those from events.
--
-- These copy personal data out of events: erasing an actor or target
-- must rename or delete its rows here too.

-- Append updates a day's rows batch after batch. Room left in each page,
-- and no index on n, let PostgreSQL write a row's new version beside the
-- old one without new index entries (a HOT update): cheaper, and the
-- primary keys don't bloat.

CREATE TABLE actor_days (
	org text COLLATE "C" NOT NULL,
	day bigint NOT NULL,
	actor text COLLATE "C" NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (org, day, actor)
) WITH (fillfactor = 70);

-- heavy is the greater of 10 and 5 that n reaches, else 0 (heavyDays in
-- days.go), for target_days_heavy: an index on n itself would get an
-- entry at every update.
CREATE TABLE target_days (
	org text COLLATE "C" NOT NULL,
	day bigint NOT NULL,
	target text COLLATE "C" NOT NULL,
	n bigint NOT NULL,
	heavy smallint GENERATED ALWAYS AS (CASE WHEN n >= 10 THEN 10 WHEN n >= 5 THEN 5 ELSE 0 END) STORED,
	PRIMARY KEY (org, day, target)
) WITH (fillfactor = 70);

INSERT INTO actor_days (org, day, actor, n)
	SELECT org, ts - ((ts % 86400000000000) + 86400000000000) % 86400000000000,
		CASE WHEN actor_email <> '' THEN actor_email ELSE actor_id END, count(*)
	FROM events WHERE (actor_email <> '' OR actor_id <> '') AND ts >= -9223286400000000000
	GROUP BY 1, 2, 3;
INSERT INTO target_days (org, day, target, n)
	SELECT org, ts - ((ts % 86400000000000) + 86400000000000) % 86400000000000,
		CASE WHEN target_id <> '' THEN target_id ELSE target_name END, count(*)
	FROM events WHERE (target_id <> '' OR target_name <> '') AND ts >= -9223286400000000000
	GROUP BY 1, 2, 3;

-- A target's heavy days, for finding the top targets of a range without
-- reading all of them (see topTargets in days.go). An entry is written
-- when its day reaches 5, and again at 10, so it costs ingest little.
CREATE INDEX target_days_heavy ON target_days (org, day, heavy) WHERE heavy > 0;
