-- Licensed under the Apache License, Version 2.0 (the "License"); you may
-- not use this file except in compliance with the License. You may obtain
-- a copy of the License at
--
--      http://www.apache.org/licenses/LICENSE-2.0
--
-- Unless required by applicable law or agreed to in writing, software
-- distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
-- WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
-- License for the specific language governing permissions and limitations
-- under the License.

-- The wrk script of tools/bench_api.py: one request shape per wrk run.
--
-- The request comes from the environment rather than from arguments after
-- "--" because wrk decides whether requests are static or built per call
-- from whether a global request() exists once the script is loaded, before
-- init(args) runs; the environment is already there at load time.
--
--   BENCH_API_METHOD  GET or POST
--   BENCH_API_PATH    the path and query
--   BENCH_API_BODY    optional JSON body; its one "@N@" becomes a number
--                     that differs on every request, so every POST
--                     creates a resource with a name of its own
--
-- done() writes one line, "BENCH_API_RESULT <json>", for the Python side to
-- parse instead of wrk's text meant for people.

local body = os.getenv("BENCH_API_BODY")

wrk.method = os.getenv("BENCH_API_METHOD") or "GET"
wrk.path = os.getenv("BENCH_API_PATH") or "/"
wrk.headers["OpenStack-API-Version"] = "container-infra latest"
wrk.headers["Content-Type"] = "application/json"

if body then
    local at = body:find("@N@", 1, true)
    if not at then
        error("BENCH_API_BODY has no @N@ placeholder")
    end
    local head, tail = body:sub(1, at - 1), body:sub(at + 3)
    local sent = 0

    -- Each wrk thread runs its own copy of this script, so its counter
    -- alone would repeat across threads; setup() below numbers the
    -- threads and the number goes into every name.
    thread_number = 0

    -- Defined only for bodies: a GET without request() is formatted once
    -- by wrk and costs it nothing per request.
    function request()
        sent = sent + 1
        return wrk.format(nil, nil, nil,
                          head .. thread_number .. "-" .. sent .. tail)
    end
end

-- Every thread counts the status codes it receives: wrk itself only counts
-- those above 399, which cannot tell a 202 from a 200 or a redirect.
statuses = {}

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

-- setup() keeps the threads so that done(), which runs in the setup
-- environment, can read their counts.
local threads = {}

function setup(thread)
    threads[#threads + 1] = thread
    thread:set("thread_number", #threads)
end

function done(summary, latency, requests)
    local counts = {}
    for _, thread in ipairs(threads) do
        for status, number in pairs(thread:get("statuses")) do
            counts[status] = (counts[status] or 0) + number
        end
    end
    local parts = {}
    for status, number in pairs(counts) do
        parts[#parts + 1] = string.format('"%d": %d', status, number)
    end
    local errors = summary.errors
    io.write(string.format(
        'BENCH_API_RESULT {"requests": %d, "duration_us": %d, ' ..
        '"errors": {"connect": %d, "read": %d, "write": %d, ' ..
        '"status": %d, "timeout": %d}, "statuses": {%s}, ' ..
        '"latency_us": {"p50": %d, "p90": %d, "p99": %d}}\n',
        summary.requests, summary.duration,
        errors.connect, errors.read, errors.write, errors.status,
        errors.timeout, table.concat(parts, ", "),
        latency:percentile(50), latency:percentile(90),
        latency:percentile(99)))
end
