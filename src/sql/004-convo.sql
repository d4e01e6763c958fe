-- 004-convo.sql: email conversations: the outbox's delivery lease, the
-- acknowledgement rate limit, and lookups for threading.
-- The delivery protocol these columns serve is described in doc/delivery.md.

-- 'sending': claimed by a sender, whose lease ends at lease_until. A row
-- still 'sending' after its lease belonged to a sender that died; it is
-- claimed again and sent again with the same payload (same Message-ID).
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'dead'));
ALTER TABLE outbox
    ADD COLUMN kind        text NOT NULL DEFAULT 'notice',
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN claimed_by  text,
    ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now();
DROP INDEX outbox_pending;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_sending ON outbox (lease_until, id) WHERE state = 'sending';
CREATE INDEX outbox_dead ON outbox (id) WHERE state = 'dead';
-- Replies thread by the Message-IDs of outgoing mail too.
CREATE INDEX outbox_message_id ON outbox (message_id) WHERE message_id IS NOT NULL;

-- Acknowledgements per sender: GCRA state (theoretical arrival time, in
-- seconds since the epoch), one row per lower-case address.
CREATE TABLE ack_rate (
    address    text PRIMARY KEY,
    tat        bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Bounces of ticketd's own mail, recorded on the ticket they concern.
CREATE TABLE bounces (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint REFERENCES tickets(id) ON DELETE CASCADE,
    outbox_id   bigint REFERENCES outbox(id) ON DELETE SET NULL,
    message_id  text,
    recipient   text,
    detail      text,
    inbound_id  bigint REFERENCES inbound(id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bounces_ticket ON bounces (ticket_id);
