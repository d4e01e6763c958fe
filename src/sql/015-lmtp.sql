-- 015-lmtp.sql: mail an MTA delivers over LMTP to the daemon's own
-- listener (a mailbox of type lmtp, src/intake/lmtp.c) is a source kind of
-- its own. Its inbound rows carry the envelope in meta ("sender",
-- "recipients"); the routing rules read the recipients as the field
-- recipient.
ALTER TABLE sources DROP CONSTRAINT sources_kind_check;
ALTER TABLE sources ADD CONSTRAINT sources_kind_check
    CHECK (kind IN ('imap', 'maildir', 'pipe', 'lmtp', 'alertmanager', 'grafana', 'pagerduty',
                    'webhook'));
