-- 009-pagerduty.sql: what PagerDuty events carry besides the alert, and
-- PagerDuty change events. Documented in doc/webhooks.md.

-- The links, images and monitoring client of an incident, from the
-- PagerDuty triggers that opened or bumped it (Events v2 links[], images[],
-- client, client_url). Links and images are merged over the triggers: each
-- distinct entry once, the newest 50 of each kind.
CREATE TABLE incident_context (
    ticket_id  bigint PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    client     text,
    client_url text,
    links      jsonb NOT NULL DEFAULT '[]',   -- [{"href": ..., "text": ...}]
    images     jsonb NOT NULL DEFAULT '[]'    -- [{"src": ..., "href": ..., "alt": ...}]
);

-- The distinct entries of the JSON arrays old and new, in the order they
-- were first seen, the newest 50.
CREATE FUNCTION ticketd_merge_list(old jsonb, new jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(x ORDER BY n), '[]'::jsonb) FROM (
        SELECT x, n FROM (
            SELECT x, min(n) AS n FROM (
                SELECT x, n FROM jsonb_array_elements(coalesce(old, '[]')) WITH ORDINALITY AS o(x, n)
                UNION ALL
                SELECT x, n + 1000000 FROM jsonb_array_elements(coalesce(new, '[]'))
                    WITH ORDINALITY AS e(x, n)
            ) u GROUP BY x
        ) d ORDER BY n DESC LIMIT 50
    ) k
$$;

-- PagerDuty change events (POST /v2/change/enqueue): deploys, configuration
-- changes. Each is kept here; the open incidents of its source at the time
-- also get a ticket_events row (action 'change', new_value = the id).
CREATE TABLE change_events (
    id             bigserial PRIMARY KEY,
    source         text NOT NULL,         -- the webhook source its routing_key selected
    summary        text NOT NULL,
    origin         text,                  -- payload.source
    sent_at        text,                  -- payload.timestamp, as the sender wrote it
    custom_details jsonb,
    links          jsonb NOT NULL DEFAULT '[]',
    images         jsonb NOT NULL DEFAULT '[]',
    inbound_id     bigint UNIQUE,         -- the staged request (processed once)
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_events_source ON change_events (source, received_at);
