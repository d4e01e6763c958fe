-- 006-rules.sql: messages a routing rule quarantines are held in the
-- inbound stage (state quarantined, the rule's reason in last_error) for an
-- admin to look at with `ticketctl inbound list --state quarantined`.
ALTER TABLE inbound DROP CONSTRAINT inbound_state_check;
ALTER TABLE inbound ADD CONSTRAINT inbound_state_check
    CHECK (state IN ('pending', 'done', 'failed', 'dropped', 'quarantined'));
