-- 016-sla-reply.sql: customer replies as an SLA event, so a queue can say
-- who hears of them (queues.notify.customer_reply, doc/sla.md). The
-- conversation stamps customer_replied_at; the trigger of 010 wakes the
-- escalator for it too, and the escalator remembers what it has told.
ALTER TABLE tickets
    ADD COLUMN customer_replied_at timestamptz,
    ADD COLUMN sla_seen_reply_at   timestamptz;

CREATE OR REPLACE FUNCTION ticketd_sla_touch() RETURNS trigger LANGUAGE plpgsql AS $$
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
       OR NEW.assignee_id IS DISTINCT FROM OLD.assignee_id
       OR NEW.customer_replied_at IS DISTINCT FROM OLD.customer_replied_at THEN
        NEW.sla_next_at := now();
        PERFORM pg_notify('ticketd_sla', '');
    END IF;
    RETURN NEW;
END $$;
