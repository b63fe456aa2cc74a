-- event_hours counts by actor type too, so that a histogram filtered by
-- actor type (the pages' choice of people, API keys or Stele itself)
-- reads it instead of every event. Counted again from the events.

ALTER TABLE event_hours RENAME TO event_hours_by_type;

CREATE TABLE event_hours (
	org INTEGER NOT NULL,
	hour INTEGER NOT NULL,
	event TEXT NOT NULL,
	actor_type TEXT NOT NULL,
	category TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (org, hour, event, actor_type)
) STRICT, WITHOUT ROWID;

INSERT INTO event_hours (org, hour, event, actor_type, category, n)
	SELECT org, (ts / 3600000000000 - (ts < 0 AND ts % 3600000000000 <> 0)) * 3600000000000,
		event, actor_type, category, count(*)
	FROM events GROUP BY 1, 2, 3, 4;

DROP TABLE event_hours_by_type;
