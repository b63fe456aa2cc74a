-- Free text: a trigram index of the texts a free-text term searches, so
-- that a search for a word reads only the events that may hold it.
--
-- events_text has a row for each event indexed, its rowid the event's key:
-- the texts stele_text matches free text against (actor email, id and
-- name, target id and name, and the text of each string, number and
-- boolean in the details, decoded from JSON), each lowercased with Go's
-- strings.ToLower, as search folds them (SQLite's folding is ASCII only),
-- one a line. The tokenizer keeps case as it is. A text that contains a
-- word of three characters or more contains each of its trigrams, so a
-- query for events with all of some of them finds the event; it may find
-- events that don't match, which search tests against the query as it
-- does all it reads. Search needs no positions (detail = none): the index
-- is a third the size, and twice as quick to write.
--
-- The index is kept outside the commits that append events: the store
-- indexes them after, in key order (text.go), and text_indexed records the
-- highest key indexed, written with the rows, so that search reads the
-- events above it as it would without an index. That needs new events to
-- get keys above every key indexed: a key (a rowid, without AUTOINCREMENT)
-- is reused only if the event with the highest key is deleted, and no
-- event is ever deleted. This migration indexes nothing; the store catches
-- up from key 0 once it opens.
--
-- The index is contentless, but its tokens are personal data all the
-- same: contentless_delete lets erasing an event delete its row, which
-- secure-delete makes remove its tokens at once rather than at the next
-- merge of the index's segments.

CREATE VIRTUAL TABLE events_text USING fts5 (
	text,
	content = '',
	contentless_delete = 1,
	detail = none,
	tokenize = 'trigram case_sensitive 1'
);
INSERT INTO events_text (events_text, rank) VALUES ('secure-delete', 1);

CREATE TABLE text_indexed (
	up_to INTEGER NOT NULL
) STRICT;
INSERT INTO text_indexed (up_to) VALUES (0);
