-- event_hours counts by actor type too, so that a histogram filtered by
-- actor type (the pages' choice of people, API keys or Stele itself)
-- reads it instead of every event. Counted again from the events.

DROP TABLE IF EXISTS event_hours;

CREATE TABLE event_hours (
	org text COLLATE "C" NOT NULL,
	hour bigint NOT NULL,
	category text COLLATE "C" NOT NULL,
	event text COLLATE "C" NOT NULL,
	actor_type text COLLATE "C" NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (org, hour, category, event, actor_type)
);

INSERT INTO event_hours (org, hour, category, event, actor_type, n)
	SELECT org, ts - ((ts % 3600000000000) + 3600000000000) % 3600000000000, category, event, actor_type, count(*)
	FROM events GROUP BY 1, 2, 3, 4, 5;
