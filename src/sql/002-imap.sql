-- 002-imap.sql: IMAP intake health per mailbox, for logs and the metrics
-- endpoint (mailbox_state already holds uidvalidity, last_uid, last_poll).
ALTER TABLE mailbox_state
    ADD COLUMN errors             bigint NOT NULL DEFAULT 0,  -- failed sessions + skipped messages
    ADD COLUMN skipped            bigint NOT NULL DEFAULT 0,  -- messages passed over (too large, fetch kept failing)
    ADD COLUMN uidvalidity_resets int NOT NULL DEFAULT 0,
    ADD COLUMN last_error         text,
    ADD COLUMN last_error_at      timestamptz;
