-- 008-intake-limits.sql: two more kinds of failed inbound items.
--   intake  an intake refused the file before staging it (a Maildir entry
--           that is not a regular file, an empty file, one over the size
--           limit): the row has no raw bytes, only what happened and where
--           the file was moved (meta), for `ticketctl inbound list`.
--   limit   processing went over a limit (MIME parts, nesting, the time
--           budget of one item): failed at once, like parse errors.
ALTER TABLE inbound DROP CONSTRAINT inbound_error_kind_check;
ALTER TABLE inbound ADD CONSTRAINT inbound_error_kind_check
    CHECK (error_kind IN ('parse', 'database', 'internal', 'rules', 'scan', 'intake', 'limit'));
