-- Hourly counts of each organization's events by type, kept by Append in
-- the batch's transaction, so that a histogram filtered by nothing but
-- time reads one row per hour and event type instead of every event.
-- hour is the Unix time of the hour's start, in nanoseconds (floor(ts /
-- 1h) * 1h); category is the type's, repeated for the split by category.

CREATE TABLE event_hours (
	org INTEGER NOT NULL,
	hour INTEGER NOT NULL,
	event TEXT NOT NULL,
	category TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (org, hour, event)
) STRICT, WITHOUT ROWID;

INSERT INTO event_hours (org, hour, event, category, n)
	SELECT org, (ts / 3600000000000 - (ts < 0 AND ts % 3600000000000 <> 0)) * 3600000000000,
		event, category, count(*)
	FROM events GROUP BY 1, 2, 3;
