-- post.lua: wrk script for ticketd's webhook endpoints.
-- ENDPOINT=alertmanager (default) or pagerduty; NEW_PCT = share of requests
-- that carry a never-seen identity (default 20), the rest repeat one of
-- POOL (default 200) identities, as a busy Alertmanager re-sending firing
-- groups would.
local endpoint = os.getenv("ENDPOINT") or "alertmanager"
local new_pct = tonumber(os.getenv("NEW_PCT") or "20")
local pool = tonumber(os.getenv("POOL") or "200")
local rate = tonumber(os.getenv("RATE") or "0")   -- target requests/s in total; 0: flat out
local conns = tonumber(os.getenv("CONNS") or "1")  -- must match wrk -c when RATE is set
local threads, counter, tid = {}, 0, 0

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(os.time() + tid)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.path = endpoint == "pagerduty" and "/v2/enqueue" or "/v1/alertmanager"
end

local function identity()
   counter = counter + 1
   if math.random(100) <= new_pct then
      return string.format("new-%d-%d-%d", tid, os.time(), counter)
   end
   return string.format("pool-%d", math.random(pool))
end

local am = '{"version":"4","status":"firing","receiver":"bench","groupKey":"{}:{alertname=\\"Bench\\"}",' ..
   '"alerts":[{"status":"firing","fingerprint":"%s","labels":{"alertname":"Bench","severity":"warning",' ..
   '"instance":"%s"},"annotations":{"summary":"bench alert %s"},"startsAt":"2026-11-23T10:00:00Z",' ..
   '"endsAt":"0001-01-01T00:00:00Z","generatorURL":""}]}'
local pd = '{"routing_key":"e93facc04764012d7bfb002500d5d1a6","event_action":"trigger","dedup_key":"%s",' ..
   '"payload":{"summary":"bench event %s","source":"bench.example","severity":"warning"}}'

function request()
   local id = identity()
   local body
   if endpoint == "pagerduty" then
      body = string.format(pd, id, id)
   else
      body = string.format(am, id, id, id)
   end
   return wrk.format(nil, nil, nil, body)
end

-- Pacing (wrk's delay hook): each connection waits conns/rate seconds
-- between requests, so the offered load is at most RATE (a little less,
-- by the response time).
if rate > 0 then
   function delay()
      return conns * 1000 / rate
   end
end
