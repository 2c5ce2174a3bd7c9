-- GET /insignia/v1/forward-auth: one member token and one page per request,
-- as a reverse proxy asks. Tokens from the file TOKENS and paths from the
-- file PATHS, one a line. Requests are built up front per wrk thread, in a
-- random order, so no Lua runs per request.
local tokens, paths = {}, {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local requests, n = {}, 0

function init(args)
  math.randomseed(math.floor(os.clock() * 1e6) + os.time())
  local order = {}
  for i = 1, #tokens do order[i] = i end
  for i = #order, 2, -1 do
    local j = math.random(1, i)
    order[i], order[j] = order[j], order[i]
  end
  for i = 1, #order do
    local headers = {
      ["Authorization"] = tokens[order[i]],
      ["X-Forwarded-Uri"] = paths[math.random(1, #paths)],
    }
    requests[i] = wrk.format("GET", "/insignia/v1/forward-auth", headers)
  end
end

function request()
  n = n % #requests + 1
  return requests[n]
end

-- PACE_MS (optional): the mean pause, in ms, a connection takes before each
-- request, to hold the load at a chosen rate below saturation. wrk pauses in
-- whole ms, so the pause is the floor or the ceiling of PACE_MS at random.
local pace = tonumber(os.getenv("PACE_MS") or "")
if pace then
  local whole, fraction = math.floor(pace), pace - math.floor(pace)
  function delay()
    if math.random() < fraction then return whole + 1 end
    return whole
  end
end
