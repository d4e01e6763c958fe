-- 001-initial.sql: the first ticketd schema.
-- Documented in doc/schema.md. Applied by ticketctl migrate and at daemon
-- start, inside one transaction under pg_advisory_xact_lock.

CREATE TABLE tenants (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    ticket_prefix text NOT NULL DEFAULT 'TKT',
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Ticket numbers: one sequence per tenant, so creating tickets never waits
-- on a row lock (gaps after a rollback are accepted, as in RT).
CREATE FUNCTION ticketd_tenant_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS ticketd_ticket_number_%s START 1000', NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER tenants_seq AFTER INSERT ON tenants
    FOR EACH ROW EXECUTE FUNCTION ticketd_tenant_seq();
CREATE FUNCTION ticketd_next_number(tenant bigint) RETURNS bigint LANGUAGE sql AS $$
    SELECT nextval(format('ticketd_ticket_number_%s', tenant)::regclass)
$$;

-- Queues are named on tickets (tickets.queue); this table holds what an
-- admin wants to say about a queue (its description), when anything.
CREATE TABLE queues (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE sources (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    kind       text NOT NULL CHECK (kind IN ('imap', 'maildir', 'pipe', 'alertmanager',
                                             'grafana', 'pagerduty', 'webhook')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    email        text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    available    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agents_email ON agents (lower(email));

CREATE TABLE agent_skills (
    agent_id bigint NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    skill    text NOT NULL,
    level    int NOT NULL CHECK (level BETWEEN 1 AND 5),
    PRIMARY KEY (agent_id, skill)
);

-- Raw messages and payloads staged for processing. Intake commits here
-- first and acknowledges its source only after that commit.
CREATE TABLE inbound (
    id              bigserial PRIMARY KEY,
    source          text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('mail', 'alert')),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'done', 'failed', 'dropped')),
    raw             bytea NOT NULL,
    raw_sha256      text NOT NULL,
    dedup_key       text,
    message_id      text,
    meta            jsonb NOT NULL DEFAULT '{}',
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    error_kind      text CHECK (error_kind IN ('parse', 'database', 'internal', 'rules', 'scan')),
    last_error      text,
    ticket_id       bigint,
    received_at     timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz
);
CREATE UNIQUE INDEX inbound_dedup ON inbound (source, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX inbound_pending ON inbound (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX inbound_failed ON inbound (id) WHERE state = 'failed';

CREATE TABLE tickets (
    id                bigserial PRIMARY KEY,
    tenant_id         bigint NOT NULL REFERENCES tenants(id),
    number            bigint NOT NULL,
    subject           text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new', 'open', 'in_progress', 'pending', 'resolved',
                                        'closed', 'reopened')),
    priority          text NOT NULL DEFAULT 'medium'
                      CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    category          text,
    type              text NOT NULL DEFAULT 'request' CHECK (type IN ('incident', 'request')),
    impact            text,
    queue             text NOT NULL DEFAULT 'support',
    assignee_id       bigint REFERENCES agents(id),
    required_skill    text,
    required_level    int,
    requester         text,
    source_id         bigint REFERENCES sources(id),
    sla_policy        text,
    tags              text[] NOT NULL DEFAULT '{}',
    linked_ticket_id  bigint REFERENCES tickets(id),
    -- one timestamp per lifecycle stage
    created_at        timestamptz NOT NULL DEFAULT now(),
    opened_at         timestamptz,
    in_progress_at    timestamptz,
    pending_at        timestamptz,
    resolved_at       timestamptz,
    closed_at         timestamptz,
    reopened_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    first_response_at timestamptz,
    -- SLA targets
    response_due_at   timestamptz,
    resolution_due_at timestamptz,
    -- incidents from alerts
    alert_key         text,
    alert_count       int NOT NULL DEFAULT 0,
    alert_last_seen   timestamptz,
    UNIQUE (tenant_id, number)
);
CREATE INDEX tickets_status ON tickets (status);
CREATE INDEX tickets_queue ON tickets (queue);
CREATE INDEX tickets_assignee ON tickets (assignee_id);
-- One open incident per alert identity, enforced by the database.
CREATE UNIQUE INDEX tickets_open_alert ON tickets (alert_key)
    WHERE alert_key IS NOT NULL AND status NOT IN ('resolved', 'closed');

CREATE TABLE ticket_participants (
    ticket_id bigint NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    address   text NOT NULL,
    role      text NOT NULL CHECK (role IN ('requester', 'cc', 'agent')),
    PRIMARY KEY (ticket_id, address)
);
CREATE INDEX ticket_participants_address ON ticket_participants (address);

CREATE TABLE messages (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    direction   text NOT NULL CHECK (direction IN ('in', 'out')),
    visibility  text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'internal')),
    author      text,
    agent_id    bigint REFERENCES agents(id),
    message_id  text,
    in_reply_to text,
    refs        text[] NOT NULL DEFAULT '{}',
    subject     text,
    headers     jsonb NOT NULL DEFAULT '{}',
    body_text   text NOT NULL DEFAULT '',
    visible_text text,
    inbound_id  bigint REFERENCES inbound(id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_ticket ON messages (ticket_id, id);
-- A Message-ID is stored once, whichever mailbox it came through.
CREATE UNIQUE INDEX messages_message_id ON messages (message_id) WHERE message_id IS NOT NULL;

-- Content-addressed attachment bodies: the same logo in a thousand
-- signatures is stored once.
CREATE TABLE blobs (
    sha256     text PRIMARY KEY,
    size       bigint NOT NULL,
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE attachments (
    id           bigserial PRIMARY KEY,
    message_id   bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    filename     text,
    content_type text NOT NULL DEFAULT 'application/octet-stream',
    size         bigint NOT NULL DEFAULT 0,
    sha256       text NOT NULL,
    disposition  text,
    content_id   text,
    scan_status  text NOT NULL DEFAULT 'unscanned'
                 CHECK (scan_status IN ('clean', 'infected', 'error', 'unscanned', 'blocked')),
    scan_detail  text,
    stored       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_message ON attachments (message_id);

-- Audit log: every change to a ticket, by whom.
CREATE TABLE ticket_events (
    id         bigserial PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    actor      text NOT NULL,
    action     text NOT NULL,
    old_value  text,
    new_value  text,
    detail     text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Transactional outbox: notifications written with the event that causes them.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    channel         text NOT NULL CHECK (channel IN ('smtp', 'slack')),
    idempotency_key text NOT NULL UNIQUE,
    ticket_id       bigint REFERENCES tickets(id) ON DELETE SET NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'dead')),
    recipient       text NOT NULL,
    message_id      text,
    payload         bytea NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE state = 'pending';

-- Mailbox ownership across daemons: a lease row its holder renews.
CREATE TABLE mailbox_leases (
    mailbox    text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL,
    renewed_at timestamptz NOT NULL DEFAULT now()
);

-- IMAP cursor per mailbox.
CREATE TABLE mailbox_state (
    mailbox     text PRIMARY KEY,
    uidvalidity bigint,
    last_uid    bigint NOT NULL DEFAULT 0,
    last_poll   timestamptz
);

INSERT INTO tenants (name) VALUES ('default');
