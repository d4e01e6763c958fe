-- 003-incidents.sql: webhook intake and incidents.
-- Documented in doc/webhooks.md.

-- The alerts behind an incident ticket: one row per alert identity
-- (fingerprint or dedup key). A ticket shared by an Alertmanager group
-- resolves when none of its alerts fires any more.
CREATE TABLE incident_alerts (
    ticket_id  bigint NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    alert      text NOT NULL,
    status     text NOT NULL CHECK (status IN ('firing', 'acknowledged', 'resolved')),
    count      int NOT NULL DEFAULT 1,
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, alert)
);

-- Per-source rate limits shared by every daemon on this database: one
-- counter row per source and window (window = epoch seconds / window length).
CREATE TABLE http_rate (
    source       text NOT NULL,
    window_start bigint NOT NULL,
    count        int NOT NULL,
    PRIMARY KEY (source, window_start)
);

-- Take up to n of the window's limit; returns how many were granted. The
-- row lock serialises concurrent takers of one source and window; rows of
-- windows older than a minute are swept when a new window starts.
CREATE FUNCTION ticketd_rate_take(src text, win bigint, n int, lim int)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    used int;
    granted int;
BEGIN
    INSERT INTO http_rate (source, window_start, count) VALUES (src, win, 0)
        ON CONFLICT (source, window_start) DO NOTHING;
    IF FOUND THEN
        DELETE FROM http_rate WHERE source = src AND window_start < win - 60;
    END IF;
    SELECT count INTO used FROM http_rate WHERE source = src AND window_start = win FOR UPDATE;
    granted := greatest(0, least(n, lim - used));
    UPDATE http_rate SET count = count + granted WHERE source = src AND window_start = win;
    RETURN granted;
END $$;

-- Finding the last resolved incident of an alert (reopen window, flapping).
CREATE INDEX tickets_alert_key ON tickets (alert_key, resolved_at) WHERE alert_key IS NOT NULL;
