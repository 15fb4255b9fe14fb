-- wrk script for bench/run.ts: one request shape, a machine-readable RESULT line at the end.
-- Env: BENCH_METHOD, BENCH_PATH, BENCH_HEADERS ("name: value" lines), BENCH_BODY (optional),
-- BENCH_TOKENS_FILE (optional, one JWT per line): every request then carries
-- "Authorization: Bearer <token>", cycling through the tokens like the shared harness's
-- bench.lua, so a verifier cannot serve everything from a one-entry cache.
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
if body == "" then body = nil end
local tokens_file = os.getenv("BENCH_TOKENS_FILE")
if tokens_file == "" then tokens_file = nil end
local reqs = {}
local idx = 0

function init(args)
  local h = {}
  for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
    local k, v = line:match("^([^:]+):%s*(.*)$")
    if k then h[k] = v end
  end
  if tokens_file then
    for tok in io.lines(tokens_file) do
      if #tok > 0 then
        h["Authorization"] = "Bearer " .. tok
        reqs[#reqs + 1] = wrk.format(method, path, h, body)
      end
    end
    assert(#reqs > 0, "no tokens in " .. tokens_file)
  else
    reqs[1] = wrk.format(method, path, h, body)
  end
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
