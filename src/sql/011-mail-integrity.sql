-- 011-mail-integrity.sql: what intake noticed about an inbound mail, kept
-- where an agent sees it (ticketctl show), and what tells a replay from a
-- reused Message-ID (doc/conversations.md, "Replays and reused Message-IDs").

-- parse_warning: the parser's warnings (a non-empty body that gave no text
-- and no attachment, a multipart cut short) and the note that the mail
-- reused a stored Message-ID; NULL when there is nothing to say.
-- content_sha256: mime fingerprint of From, To, Cc, Date, Subject and the
-- body: equal for the same mail through two mailboxes (only trace headers
-- differ), different for another mail under the same Message-ID.
-- reused_message_id: the Message-ID such a mail carried; its message_id is
-- NULL, since the stored mail keeps the ID (and the threading by it).
ALTER TABLE messages
    ADD COLUMN parse_warning     text,
    ADD COLUMN content_sha256    text,
    ADD COLUMN reused_message_id text;
CREATE INDEX messages_reused_message_id ON messages (reused_message_id)
    WHERE reused_message_id IS NOT NULL;
