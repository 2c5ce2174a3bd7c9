-- wrk's own request (GET of the URL given), paced by PACE_MS as in access_check.lua.
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
