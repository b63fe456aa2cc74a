-- Free text: a trigram index of the texts a free-text term searches, so
-- that a search for a rare word reads only the events that may hold it
-- instead of every event of the organization (see text.go).
--
-- It needs two extensions that come with PostgreSQL (contrib): pg_trgm,
-- whose GIN operator class indexes the trigrams of text for LIKE, and
-- btree_gin, which lets the same index lead with org. Both are trusted:
-- the owner of the database, or any role with CREATE on it, may create
-- them; they are created here, in the first schema of the search_path,
-- unless the database has them already (in any schema).
DO $$
DECLARE
	ext text;
BEGIN
	FOREACH ext IN ARRAY ARRAY['pg_trgm', 'btree_gin'] LOOP
		BEGIN
			EXECUTE format('CREATE EXTENSION IF NOT EXISTS %I', ext);
		EXCEPTION
			WHEN insufficient_privilege THEN
				RAISE EXCEPTION 'stele needs the PostgreSQL extension %, and this role may not create it', ext
					USING ERRCODE = 'insufficient_privilege',
					HINT = format('Have the owner of the database or a superuser run CREATE EXTENSION %I in it (or grant this role CREATE on the database), then start stele again.', ext);
			WHEN undefined_file THEN
				RAISE EXCEPTION 'stele needs the PostgreSQL extension %, which this server does not have', ext
					USING ERRCODE = 'undefined_file',
					HINT = 'Install PostgreSQL''s contrib modules on the server (the postgresql-contrib package), then start stele again.';
		END;
	END LOOP;
END $$;

-- events_text has a row for each event indexed that has any text, keyed
-- like leaves, with its timestamp to find it in events: the texts free
-- text is matched against (actor email, id and name, target id and name,
-- and the text of each string, number and boolean in the details,
-- decoded from JSON), each lowercased by Go's strings.ToLower, as search
-- folds them (PostgreSQL's lower() depends on the collation, and may
-- not), one a line. A text whose lowercase holds a value holds it here,
-- so text LIKE '%value%' finds every event that may match it, which the
-- trigram index answers without reading them all; it may find some that
-- don't, which search tests against the query as it does all it reads.
--
-- The rows are written outside the commits that append events: the store
-- indexes them after, by organization in seq order, and text_indexed
-- records the highest seq of each organization indexed (up_to, -1 for
-- none) and how many events that is, written in the same transaction as
-- their rows. Search reads all the events above up_to, as the index
-- can't say which may match. That needs each organization's events to commit in seq order,
-- as Tx.LockHead and Append's contract have it. This migration indexes
-- nothing; the store catches up once it opens.
--
-- text_trigrams counts, for each organization, the events indexed whose
-- text has each trigram of three ASCII letters or digits, numbered in
-- base 36 (0-9 then a-z, most significant first): how search tells a
-- rare word from a common one before it asks the index, whose cost grows
-- with the trigrams' posting lists, not with the events that match.
--
-- Erasing an event's personal data deletes its row of events_text, found
-- by (org, seq), having first locked its organization's row of
-- text_indexed FOR UPDATE (inserted if there is none), so that the
-- indexer can't write the text it read before (text.go); the counts of
-- text_trigrams hold no text, and stay.

CREATE TABLE events_text (
	org text COLLATE "C" NOT NULL,
	seq bigint NOT NULL,
	ts bigint NOT NULL,
	text text COLLATE "C" NOT NULL,
	PRIMARY KEY (org, seq)
);

-- The operator class is named in the schema pg_trgm is in, wherever that
-- is; btree_gin's, for org, is the default one for text. New entries go
-- to the index's pending list, which every search reads whole, until the
-- indexer's insert merges it into the index: at 256kB, a few hundred
-- events' worth, so that searches don't read megabytes of it (and the
-- planner, which counts it, doesn't shun the index for it).
DO $$
BEGIN
	EXECUTE format('CREATE INDEX events_text_trgm ON events_text USING gin (org, text %I.gin_trgm_ops) WITH (gin_pending_list_limit = 256)',
		(SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'));
END $$;

CREATE TABLE text_indexed (
	org text COLLATE "C" PRIMARY KEY,
	up_to bigint NOT NULL DEFAULT -1,
	events bigint NOT NULL DEFAULT 0
);

CREATE TABLE text_trigrams (
	org text COLLATE "C" NOT NULL,
	trigram integer NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (org, trigram)
);
