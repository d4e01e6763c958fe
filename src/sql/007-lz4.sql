-- 007-lz4.sql: the large columns (raw mail and payloads, message bodies
-- and headers, attachment bodies) are compressed with LZ4 instead of
-- PostgreSQL's default pglz. pglz compression was about 150 us of
-- PostgreSQL CPU per staged message, the biggest cost after the ticket
-- insert; LZ4 is several times faster at a similar ratio on mail text
-- (bench/ingest: 1,750 -> 2,130 msg/s). It applies to values written from
-- now on; older ones stay readable as they are. A server built without
-- LZ4 support keeps pglz (the migration does nothing there).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE inbound ALTER COLUMN raw SET COMPRESSION lz4;
        ALTER TABLE messages ALTER COLUMN body_text SET COMPRESSION lz4;
        ALTER TABLE messages ALTER COLUMN headers SET COMPRESSION lz4;
        ALTER TABLE blobs ALTER COLUMN data SET COMPRESSION lz4;
        ALTER TABLE quarantine ALTER COLUMN data SET COMPRESSION lz4;
    END IF;
END
$$;
