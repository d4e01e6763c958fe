-- 012-search-merge.sql: `ticketctl search` and `ticketctl merge`.
--
-- Full-text search over what people wrote: each message's subject and text
-- (the first 100,000 characters: a tsvector holds at most 1 MB), in the
-- 'simple' configuration (words as written, lower-cased, no stemming: the
-- mail comes in any language). The words are kept in a stored column, so
-- ranking a match reads them instead of parsing the text again (on a
-- million messages that is the difference between 0.3 s and 5 s for a word
-- in 1% of them, bench/search/README.md). Adding it rewrites the messages
-- table once.
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS
    (to_tsvector('simple'::regconfig, coalesce(subject, '') || ' ' || left(body_text, 100000)))
    STORED;
CREATE INDEX messages_search ON messages USING gin (search);

-- A ticket merged into another is closed and points to it; mail that still
-- finds the old ticket (its reply token, its [TKT-n] subject tag) lands on
-- the one it was merged into.
ALTER TABLE tickets ADD COLUMN merged_into_id bigint REFERENCES tickets(id);
CREATE INDEX tickets_merged_into ON tickets (merged_into_id) WHERE merged_into_id IS NOT NULL;
