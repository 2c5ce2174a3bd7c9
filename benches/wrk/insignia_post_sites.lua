-- POST /badges/v4/badges over many sites (each with its own key), so no site reaches its badge limit.
local pairs_ = {}
for line in io.lines(os.getenv("SITES")) do
  local site, key = line:match("(%S+) (%S+)")
  table.insert(pairs_, {site, key})
end
local n = 0
function request()
  n = n + 1
  local p = pairs_[math.random(#pairs_)]
  local body = string.format('{"badge":{"title":"Load %d %d","description":"Created by wrk","backgroundColor":"#796EFF","textColor":"#FFFFFF"}}', math.random(1, 1e9), n)
  return wrk.format("POST", "/badges/v4/badges", { ["Authorization"] = p[2], ["wix-site-id"] = p[1], ["Content-Type"] = "application/json" }, body)
end
