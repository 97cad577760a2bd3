-- wrk script: signed GitHub webhook deliveries, each with its own X-GitHub-Delivery.
-- The signature covers the body only, so one precomputed signature serves every request.
local f = assert(io.open(os.getenv("PRW_BODY"), "rb"))
local body = f:read("*a")
f:close()
local signature = os.getenv("PRW_SIG")
local event = os.getenv("PRW_EVENT") or "pull_request"
local run = os.getenv("PRW_RUN") or tostring(os.time())

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
function request()
  n = n + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitHub-Hookshot/bench",
    ["X-GitHub-Event"] = event,
    ["X-GitHub-Delivery"] = string.format("%s-%d-%d", run, tid or 0, n),
    ["X-Hub-Signature-256"] = signature,
  }
  return wrk.format("POST", "/api/github/webhooks", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'PRW_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "socket_errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
