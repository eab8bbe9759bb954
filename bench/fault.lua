-- wrk script for bench/fault.sh: POSTs one GraphQL query and counts what came back: 200
-- without errors, 200 with GraphQL errors (by code), and other statuses.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = '{"query":"{ publication(ncjNumber: \\"216547\\") { title producers { producer { name } } relatedDatasets(first: 5) { totalCount nodes { studyNumber } } } }"}'

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   ok, errors, non200, internal, timeout = 0, 0, 0, 0, 0
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
   elseif body:find('"errors"', 1, true) then
      errors = errors + 1
      if body:find('"INTERNAL"', 1, true) then internal = internal + 1 end
      if body:find('"TIMEOUT"', 1, true) then timeout = timeout + 1 end
   else
      ok = ok + 1
   end
end

function done(summary, latency, requests)
   local sum = { ok = 0, errors = 0, non200 = 0, internal = 0, timeout = 0 }
   for _, thread in ipairs(threads) do
      for key, _ in pairs(sum) do
         sum[key] = sum[key] + thread:get(key)
      end
   end
   local e = summary.errors
   io.write(string.format(
      "requests=%d ok=%d graphql_errors=%d (INTERNAL %d, TIMEOUT %d) non_200=%d " ..
      "socket_errors=%d (connect %d, read %d, write %d, timeout %d) " ..
      "rps=%.1f latency_ms p50=%.1f p99=%.1f max=%.1f\n",
      summary.requests, sum.ok, sum.errors, sum.internal, sum.timeout, sum.non200,
      e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
