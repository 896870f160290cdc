-- wrk script for bench/mcp.sh and bench/mcp-tools-list.sh: POSTs JSON-RPC requests to a
-- Streamable HTTP MCP endpoint (the headers a client sends; no session) and counts the answers
-- that are not a success: HTTP status other than 200, no "result", or a tool result with
-- "isError":true. done() prints "mcp: responses N errors E".
--
-- Environment:
--   MCP_BODY              the JSON-RPC request sent every time (plain mode)
--   MCP_WALK              a paginated list method (tools/list): follow nextCursor until the last
--                         page, then start again; each wrk thread must have ONE connection
--                         (-t N -c N), since the cursor is per thread. done() also prints
--                         "mcp-walk: walks W pages P items I p50_ms X p99_ms Y" (I: entries of a
--                         full walk, counted by "inputSchema"; X, Y: time of a full walk, the
--                         sum of its pages' request-to-response times, so without the time this
--                         script spends between pages).
--   MCP_PROTOCOL_VERSION  the MCP-Protocol-Version header (2025-11-25)

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } capstan_timespec;
  int clock_gettime(int clock, capstan_timespec* ts);
]]
local now_ts = ffi.new("capstan_timespec")
local function now_us()
  ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
  return tonumber(now_ts.tv_sec) * 1e6 + tonumber(now_ts.tv_nsec) / 1e3
end

local walk_method = os.getenv("MCP_WALK")
local body = os.getenv("MCP_BODY")
if not walk_method and not body then
  error("mcp-call.lua: set MCP_BODY or MCP_WALK")
end

wrk.method = "POST"
wrk.body = body or ""
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = os.getenv("MCP_PROTOCOL_VERSION") or "2025-11-25"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- Per thread (each has its own Lua state).
responses = 0
errors = 0
walks = 0      -- completed walks
pages = 0      -- pages of the last completed walk
items = 0      -- entries of the last completed walk
walk_us = {}   -- duration of each completed walk

local cursor = nil      -- nextCursor of the last page, nil = start a walk
local page_start = 0
local walk_time = 0
local walk_pages = 0
local walk_items = 0

if walk_method then
  function request()
    local params = "{}"
    if cursor then
      params = '{"cursor":"' .. cursor .. '"}'
    else
      walk_pages, walk_items, walk_time = 0, 0, 0
    end
    page_start = now_us()
    local payload = '{"jsonrpc":"2.0","id":1,"method":"' .. walk_method .. '","params":' .. params .. "}"
    return wrk.format(nil, nil, nil, payload)
  end
end

function response(status, headers, text)
  responses = responses + 1
  local ok = status == 200 and text:find('"result"', 1, true) ~= nil and
      text:find('"isError":true', 1, true) == nil
  if not ok then
    errors = errors + 1
    cursor = nil -- a failed page ends the walk
    return
  end
  if walk_method then
    walk_time = walk_time + (now_us() - page_start)
    walk_pages = walk_pages + 1
    local at = 1
    while true do
      at = text:find('"inputSchema":', at, true)
      if not at then
        break
      end
      walk_items, at = walk_items + 1, at + 14
    end
    cursor = text:match('"nextCursor":"([^"]*)"')
    if not cursor then
      walks = walks + 1
      pages, items = walk_pages, walk_items
      walk_us[#walk_us + 1] = walk_time
    end
  end
end

function done(summary, latency, requests)
  local total, bad, all, p, n = 0, 0, {}, 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("responses")
    bad = bad + t:get("errors")
    for _, us in ipairs(t:get("walk_us")) do
      all[#all + 1] = us
    end
    if t:get("walks") > 0 then
      p, n = t:get("pages"), t:get("items")
    end
  end
  io.write(string.format("mcp: responses %d errors %d\n", total, bad))
  if walk_method then
    table.sort(all)
    local function pct(q)
      if #all == 0 then
        return 0
      end
      return all[math.max(1, math.ceil(#all * q))] / 1000
    end
    io.write(string.format("mcp-walk: walks %d pages %d items %d p50_ms %.3f p99_ms %.3f\n",
      #all, p, n, pct(0.50), pct(0.99)))
  end
end
