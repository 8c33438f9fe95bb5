-- Shared by the wrk scripts: prints one machine-readable line that identity.sh parses.
-- Latencies are in microseconds. non2xx counts every status outside 200-299 except
-- 3xx, which wrk lumps in with 2xx; identity.sh checks statuses beforehand with curl.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d mean_us=%.0f max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
