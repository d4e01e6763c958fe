-- 017-search-later.sql: the search words of a message are computed after
-- its commit instead of in its INSERT.
--
-- to_tsvector over a message's text costs PostgreSQL about 1 ms per 7 KB
-- (half of its CPU per new ticket, bench/ingest/README.md), and it was
-- paid inside the worker's transaction. messages.search becomes a plain
-- column: new messages have it NULL, and the workers fill it when they
-- have nothing else to do (src/store/store_search.c), oldest first.
-- `ticketctl search` reads the stored words where they are and computes
-- them for the (few) messages not indexed yet, found by the partial index
-- messages_unsearched, so nothing is missing from a search meanwhile.
-- Both use ticketd_search_words(), the one definition of the words.
CREATE FUNCTION ticketd_search_words(subject text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('simple'::regconfig, coalesce(subject, '') || ' ' || left(coalesce(body, ''), 100000));

ALTER TABLE messages ALTER COLUMN search DROP EXPRESSION;
CREATE INDEX messages_unsearched ON messages (id) WHERE search IS NULL;
