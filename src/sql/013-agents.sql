-- 013-agents.sql: agents' availability, automatic assignment, customer
-- satisfaction, and what reports read. Documented in doc/agents.md and
-- doc/schema.md.

-- An agent's state: available, busy, away or offline, optionally until a
-- time (then back to available). Working hours (agents[].hours in the
-- configuration, a calendar) are kept in in_hours by the escalator's
-- presence pass; outside them an agent counts as offline. available is
-- derived from both, so every reader (the escalator's skip of agents who
-- are not available, the assigner) sees one answer.
ALTER TABLE agents
    ADD COLUMN state            text NOT NULL DEFAULT 'available'
                                CHECK (state IN ('available', 'busy', 'away', 'offline')),
    ADD COLUMN state_until      timestamptz,
    ADD COLUMN state_at         timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN state_by         text,
    ADD COLUMN in_hours         boolean NOT NULL DEFAULT true,
    ADD COLUMN last_assigned_at timestamptz;
UPDATE agents SET state = 'away', state_by = 'migration 013' WHERE NOT available;
ALTER TABLE agents DROP COLUMN available;
ALTER TABLE agents
    ADD COLUMN available boolean GENERATED ALWAYS AS (state = 'available' AND in_hours) STORED;

-- Every change of an agent's state or hours, by whom and why.
CREATE TABLE agent_events (
    id         bigserial PRIMARY KEY,
    agent_id   bigint NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    actor      text NOT NULL,
    action     text NOT NULL,          -- 'state', 'hours', 'handoff'
    old_value  text,
    new_value  text,
    detail     text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_events_agent ON agent_events (agent_id, id);

-- Automatic assignment (src/sla/escalate_assign.c). assign_state 'due':
-- the assigner looks at the ticket; 'waiting': nobody who could take it was
-- available (since assign_waiting_since). assign_mode: a rule's override of
-- the queue's mode. backup_id: the next best engineer of a skill match.
ALTER TABLE tickets
    ADD COLUMN assign_mode          text CHECK (assign_mode IN ('none', 'round_robin',
                                                                'least_loaded', 'skill')),
    ADD COLUMN assign_state         text CHECK (assign_state IN ('due', 'waiting')),
    ADD COLUMN assign_waiting_since timestamptz,
    ADD COLUMN backup_id            bigint REFERENCES agents(id),
    -- customer satisfaction: one rating per ticket (the latest), 1 to 5
    ADD COLUMN csat_score           smallint CHECK (csat_score BETWEEN 1 AND 5),
    ADD COLUMN csat_comment         text,
    ADD COLUMN csat_at              timestamptz,
    ADD COLUMN csat_via             text CHECK (csat_via IN ('mail', 'link'));

-- A new unassigned ticket is due for the assigner (which applies the
-- queue's mode, none included); a ticket that is assigned or done leaves
-- the assigner's list, whoever changed it. No code path can forget.
CREATE FUNCTION ticketd_assign_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.assignee_id IS NULL AND NEW.assign_state IS NULL
           AND NEW.status NOT IN ('resolved', 'closed') THEN
            NEW.assign_state := 'due';
        END IF;
    ELSIF NEW.status IN ('resolved', 'closed')
       OR (NEW.assignee_id IS NOT NULL AND OLD.assignee_id IS NULL) THEN
        NEW.assign_state := NULL;
        NEW.assign_waiting_since := NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tickets_assign_track BEFORE INSERT OR UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticketd_assign_track();
CREATE INDEX tickets_assign ON tickets (assign_state, queue) WHERE assign_state IS NOT NULL;

-- Someone became available (or a new agent came): the tickets waiting for
-- anybody are looked at again, and the escalator is woken.
CREATE FUNCTION ticketd_agent_back() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets SET assign_state = 'due' WHERE assign_state = 'waiting';
    PERFORM pg_notify('ticketd_sla', '');
    RETURN NULL;
END $$;
CREATE TRIGGER agents_back_update AFTER UPDATE ON agents FOR EACH ROW
    WHEN (NEW.available AND NOT OLD.available) EXECUTE FUNCTION ticketd_agent_back();
CREATE TRIGGER agents_back_insert AFTER INSERT ON agents FOR EACH ROW
    WHEN (NEW.available) EXECUTE FUNCTION ticketd_agent_back();

-- An agent's open workload (new, open, in_progress, pending, reopened), by
-- priority for the weights: the assigner and `ticketctl agent list` count
-- it from this index alone.
CREATE INDEX tickets_workload ON tickets (assignee_id, priority)
    WHERE status IN ('new', 'open', 'in_progress', 'pending', 'reopened');

-- Reports (src/report/report.c) read a period through these, never the
-- whole table: tickets done (resolved, or closed without a resolution) by
-- the time they were done, created by day, open by age, rated by the time
-- of the rating, and assignments by time.
CREATE INDEX tickets_done ON tickets ((coalesce(resolved_at, closed_at)))
    WHERE status IN ('resolved', 'closed');
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_open_age ON tickets (created_at)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_csat ON tickets (csat_at) WHERE csat_at IS NOT NULL;
CREATE INDEX ticket_events_assigned ON ticket_events (created_at) WHERE action = 'assignee';

-- Scheduled reports are timers too (one claim loop, the escalator's): a
-- report timer belongs to no ticket; its key (report:NAME:EPOCH) makes each
-- run happen once across restarts and daemons.
ALTER TABLE timers ALTER COLUMN ticket_id DROP NOT NULL;
ALTER TABLE timers DROP CONSTRAINT timers_kind_check;
ALTER TABLE timers ADD CONSTRAINT timers_kind_check
    CHECK (kind IN ('escalate', 'autoclose', 'report'));
ALTER TABLE timers ADD CONSTRAINT timers_ticket_check
    CHECK ((kind = 'report') = (ticket_id IS NULL));
