-- The text index by organization: events_text's rowid becomes the
-- event's organization number and seq, org << 40 | seq, instead of its
-- key, so that a search reads only its organization's part of a
-- trigram's list (FTS5 seeks to a rowid range). With rowids by key, a
-- word common in other organizations was too common to look up for any.
-- A seq is below 2^40 (the ledger would take 35 years at 1,000 events a
-- second to reach it), an organization's number below 2^23.
--
-- The index is rebuilt: this empties it and text_indexed starts again
-- from key 0. The store indexes every event again in the background;
-- searches read the events not yet indexed as before, exact at any lag.

DROP TABLE events_text;
CREATE VIRTUAL TABLE events_text USING fts5 (
	text,
	content = '',
	contentless_delete = 1,
	detail = none,
	tokenize = 'trigram case_sensitive 1'
);
INSERT INTO events_text (events_text, rank) VALUES ('secure-delete', 1);
UPDATE text_indexed SET up_to = 0;
