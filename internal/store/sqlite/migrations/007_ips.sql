-- ips lists each organization's pairs of IP address and actor: the email,
-- or else the id, that finds the actor's events (as in actors), or both
-- empty for an actor with neither. A search for an address or network
-- looks up the actors that used it here and reads their events from
-- events_actor and events_actor_id, instead of testing every event's
-- address: there is no index of events by address. Rows are added as
-- events are appended, never removed. They copy personal data out of
-- events, so erasing an actor or address must delete its rows here too.

CREATE TABLE ips (
	org INTEGER NOT NULL,
	ip TEXT NOT NULL,
	email TEXT NOT NULL COLLATE NOCASE,
	id TEXT NOT NULL, -- '' unless email is
	PRIMARY KEY (org, ip, email, id)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO ips (org, ip, email, id)
	SELECT org, ip, actor_email, iif(actor_email = '', actor_id, '') FROM events WHERE ip <> '';
