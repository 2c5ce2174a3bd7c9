-- POST /insignia/v1/access/check: one member and one page path per request.
-- Members from the file MEMBERS and paths from the file PATHS, one a line.
-- Each wrk thread builds one request per member up front, in its own random
-- order, so every member in the file is asked about and no Lua runs per request.
local members, paths = {}, {}
for line in io.lines(os.getenv("MEMBERS")) do members[#members + 1] = line end
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local headers = {
  ["Authorization"] = os.getenv("KEY"),
  ["wix-site-id"] = os.getenv("SITE"),
  ["Content-Type"] = "application/json",
}
local requests, n = {}, 0

function init(args)
  math.randomseed(math.floor(os.clock() * 1e6) + os.time())
  local order = {}
  for i = 1, #members do order[i] = i end
  for i = #order, 2, -1 do
    local j = math.random(1, i)
    order[i], order[j] = order[j], order[i]
  end
  for i = 1, #order do
    local body = string.format('{"memberId":"%s","pages":["%s"]}', members[order[i]], paths[math.random(1, #paths)])
    requests[i] = wrk.format("POST", "/insignia/v1/access/check", headers, body)
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
