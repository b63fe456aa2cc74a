-- The daily counts of actors and targets (006) move out of the
-- transactions that append events: the text indexer keeps them, for each
-- organization's events up to its mark (text_indexed.up_to), in the
-- transactions that move the mark, and facets read the events above it
-- (days.go). Here they are counted again for the events up to the marks.

TRUNCATE actor_days, target_days;

INSERT INTO actor_days (org, day, actor, n)
	SELECT e.org, e.ts - ((e.ts % 86400000000000) + 86400000000000) % 86400000000000,
		CASE WHEN e.actor_email <> '' THEN e.actor_email ELSE e.actor_id END, count(*)
	FROM events e JOIN text_indexed t ON t.org = e.org AND e.seq <= t.up_to
	WHERE (e.actor_email <> '' OR e.actor_id <> '') AND e.ts >= -9223286400000000000
	GROUP BY 1, 2, 3;
INSERT INTO target_days (org, day, target, n)
	SELECT e.org, e.ts - ((e.ts % 86400000000000) + 86400000000000) % 86400000000000,
		CASE WHEN e.target_id <> '' THEN e.target_id ELSE e.target_name END, count(*)
	FROM events e JOIN text_indexed t ON t.org = e.org AND e.seq <= t.up_to
	WHERE (e.target_id <> '' OR e.target_name <> '') AND e.ts >= -9223286400000000000
	GROUP BY 1, 2, 3;
