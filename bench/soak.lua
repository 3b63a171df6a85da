-- wrk script for the soak: blind orders on one program, alternating buys (1.00 of cash) and
-- sells (one share), spread over scouts and markets, each with its own Idempotency-Key.
-- Reads MC_PROGRAM, MC_MARKETS, MC_TOKENS (comma-separated) and MC_WINDOW from the environment.
local program = os.getenv("MC_PROGRAM")
local window = os.getenv("MC_WINDOW") or "0"
local markets, tokens = {}, {}
for m in string.gmatch(os.getenv("MC_MARKETS"), "[^,]+") do table.insert(markets, m) end
for t in string.gmatch(os.getenv("MC_TOKENS"), "[^,]+") do table.insert(tokens, t) end
local counter = 0

function request()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  local market = markets[(math.floor(counter / #tokens) % #markets) + 1]
  local body
  if counter % 3 == 0 then
    body = '{"market_id":"' .. market .. '","side":"sell","max_shares":"1"}'
  else
    body = '{"market_id":"' .. market .. '","side":"buy","max_spend":"1"}'
  end
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = "soak-" .. window .. "-" .. counter,
    ["Content-Type"] = "application/json",
  }
  return wrk.format("POST", "/programs/" .. program .. "/orders", headers, body)
end

function response(status, headers, body)
  if status ~= 201 then error("order refused: " .. status .. " " .. body) end
end
