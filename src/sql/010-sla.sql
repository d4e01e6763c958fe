-- 010-sla.sql: the SLA escalator: clocks on the ticket, the steps they
-- fired, and timers for what comes after (escalation levels, auto-close).
-- Documented in doc/sla.md and doc/schema.md.

-- The clocks' state lives on the ticket. The escalator (src/sla/escalate.c)
-- recomputes it from the ticket's status history whenever sla_next_at comes
-- due, and sets sla_next_at to the instant of the next warning or breach.
-- A change that can move the due times (status, priority, policy, first
-- response, queue, category, type) sets sla_next_at to now() through the
-- trigger below, so the escalator looks again at once: no code path can
-- change a ticket and forget its clocks.
ALTER TABLE tickets
    ADD COLUMN sla_applied             text,         -- the policy in force (NULL: none yet)
    ADD COLUMN sla_calendar            text,
    ADD COLUMN sla_response_target_s   int,
    ADD COLUMN sla_resolution_target_s int,
    ADD COLUMN sla_cycle               int NOT NULL DEFAULT 0,  -- +1 when the targets change
    ADD COLUMN sla_next_at             timestamptz,  -- when the escalator must look next
    ADD COLUMN sla_paused_s            bigint NOT NULL DEFAULT 0,  -- wall seconds spent pending
    ADD COLUMN response_left_s         bigint,       -- business seconds left (negative: overdue)
    ADD COLUMN resolution_left_s       bigint,       --   as of sla_computed_at
    ADD COLUMN sla_computed_at         timestamptz,
    ADD COLUMN response_breached       boolean NOT NULL DEFAULT false,
    ADD COLUMN resolution_breached     boolean NOT NULL DEFAULT false,
    ADD COLUMN response_breached_at    timestamptz,
    ADD COLUMN resolution_breached_at  timestamptz,
    ADD COLUMN acked_at                timestamptz,  -- last acknowledgement by an agent
    ADD COLUMN acked_by                text,
    -- what the escalator saw last time, to tell which events happened since
    ADD COLUMN sla_seen_status         text,
    ADD COLUMN sla_seen_assignee       bigint;

-- New tickets and SLA-relevant changes: look at the clocks now. The
-- escalator sets the columns above itself, which does not fire this.
CREATE FUNCTION ticketd_sla_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.sla_next_at IS NULL AND NEW.sla_applied IS NULL THEN
            NEW.sla_next_at := now();
            PERFORM pg_notify('ticketd_sla', '');
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status
       OR NEW.priority IS DISTINCT FROM OLD.priority
       OR NEW.sla_policy IS DISTINCT FROM OLD.sla_policy
       OR NEW.first_response_at IS DISTINCT FROM OLD.first_response_at
       OR NEW.queue IS DISTINCT FROM OLD.queue
       OR NEW.category IS DISTINCT FROM OLD.category
       OR NEW.type IS DISTINCT FROM OLD.type
       OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id
       OR NEW.assignee_id IS DISTINCT FROM OLD.assignee_id THEN
        NEW.sla_next_at := now();
        PERFORM pg_notify('ticketd_sla', '');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tickets_sla_touch BEFORE INSERT OR UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticketd_sla_touch();

-- The escalator's work list: only tickets with a step ahead are in it, so a
-- tick costs the same with 10 or 10 million open tickets.
CREATE INDEX tickets_sla_next ON tickets (sla_next_at) WHERE sla_next_at IS NOT NULL;
-- ticketctl list --due-within, the "due within the hour" gauge, the
-- self-check. A due time is set only while its clock runs, so these hold
-- the running clocks that have not breached: about the open tickets.
CREATE INDEX tickets_response_due ON tickets (response_due_at)
    WHERE response_due_at IS NOT NULL AND NOT response_breached;
CREATE INDEX tickets_resolution_due ON tickets (resolution_due_at)
    WHERE resolution_due_at IS NOT NULL AND NOT resolution_breached;
CREATE INDEX tickets_breached ON tickets (id) WHERE response_breached OR resolution_breached;

-- Every warning and breach, recorded once: the primary key makes a step
-- that fired (committed together with its outbox rows) impossible to fire
-- again, whatever crashes and restarts happen. skipped: superseded by a
-- later step due at the same time (only the last one is notified).
CREATE TABLE sla_steps (
    ticket_id  bigint NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    clock      text NOT NULL CHECK (clock IN ('response', 'resolution')),
    cycle      int NOT NULL,
    step       text NOT NULL,                -- 'warn75%', 'warn90%', ..., 'breach'
    permille   int NOT NULL,                 -- share of the target (1000: the breach)
    due_at     timestamptz NOT NULL,
    fired_at   timestamptz NOT NULL DEFAULT now(),
    late_s     double precision NOT NULL DEFAULT 0,
    skipped    boolean NOT NULL DEFAULT false,
    instance   text,
    PRIMARY KEY (ticket_id, clock, cycle, step)
);
CREATE INDEX sla_steps_fired ON sla_steps (fired_at);

-- Everything else that waits for a time: the levels of an escalation
-- chain and the auto-close of resolved tickets. One table, one claim loop
-- (the escalator's). key is unique per event (escalate:TICKET:CLOCK:CYCLE:
-- LEVEL:REPEAT, autoclose:TICKET:RESOLVED_EPOCH), so scheduling twice is
-- harmless.
CREATE TABLE timers (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('escalate', 'autoclose')),
    ticket_id  bigint NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    key        text NOT NULL UNIQUE,
    due_at     timestamptz NOT NULL,
    state      text NOT NULL DEFAULT 'pending'
               CHECK (state IN ('pending', 'fired', 'cancelled')),
    data       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    fired_at   timestamptz,
    detail     text
);
CREATE INDEX timers_due ON timers (due_at, id) WHERE state = 'pending';
CREATE INDEX timers_ticket ON timers (ticket_id) WHERE state = 'pending';

-- Outbox rows that go to a Slack webhook name it in recipient; the sender
-- spaces them out per webhook (at most one a second across daemons).
CREATE TABLE slack_pace (
    webhook text PRIMARY KEY,
    next_at timestamptz NOT NULL
);

-- Tickets open before this migration: let the escalator compute their clocks.
UPDATE tickets SET sla_next_at = now() WHERE status NOT IN ('resolved', 'closed');
