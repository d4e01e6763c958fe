-- 005-quarantine.sql: attachment bodies held back by the scanner (infected,
-- blocked by type or size, or a failed scan under on_error: quarantine).
-- Kept apart from blobs so nothing that serves ticket attachments can reach
-- them; `ticketctl attachment get --quarantined` is the one way out.
CREATE TABLE quarantine (
    attachment_id bigint PRIMARY KEY REFERENCES attachments(id) ON DELETE CASCADE,
    sha256        text NOT NULL,
    size          bigint NOT NULL,
    data          bytea NOT NULL,
    reason        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
