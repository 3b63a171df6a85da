-- wrk script: blind buy orders, each with its own Idempotency-Key, spread over scouts and markets.
-- Reads MC_PROGRAM, MC_MARKETS (comma-separated) and MC_TOKENS (comma-separated) from the environment.
local program = os.getenv("MC_PROGRAM")
local markets, tokens = {}, {}
for m in string.gmatch(os.getenv("MC_MARKETS"), "[^,]+") do table.insert(markets, m) end
for t in string.gmatch(os.getenv("MC_TOKENS"), "[^,]+") do table.insert(tokens, t) end
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local n = counter * 16 + thread_id
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1],
    ["Idempotency-Key"] = "wrk-" .. os.time() .. "-" .. thread_id .. "-" .. counter,
    ["Content-Type"] = "application/json",
  }
  local body = '{"market_id":"' .. markets[(n % #markets) + 1] .. '","side":"buy","max_spend":"1"}'
  return wrk.format("POST", "/programs/" .. program .. "/orders", headers, body)
end

-- With MC_DELAY_MS set, each connection waits that long between requests (a paced rate).
local pause = tonumber(os.getenv("MC_DELAY_MS") or "0")
function delay()
  return pause
end

function response(status, headers, body)
  if status ~= 201 then error("order refused: " .. status .. " " .. body) end
end
