-- Hourly counts of each organization's events by type, kept by Append in
-- the batch's transaction, so that a histogram filtered by nothing but
-- time, event types and categories reads one row per hour and type
-- instead of every event. hour is the Unix time of the hour's start, in
-- nanoseconds.

CREATE TABLE event_hours (
	org text COLLATE "C" NOT NULL,
	hour bigint NOT NULL,
	category text COLLATE "C" NOT NULL,
	event text COLLATE "C" NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (org, hour, category, event)
);

INSERT INTO event_hours (org, hour, category, event, n)
	SELECT org, ts - ((ts % 3600000000000) + 3600000000000) % 3600000000000, category, event, count(*)
	FROM events GROUP BY 1, 2, 3, 4;
