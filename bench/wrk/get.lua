-- GetItem of one of the BENCH_NKEYS preloaded items (k0, k1, …), uniformly chosen.
dofile((os.getenv("BENCH_DIR") or ".") .. "/common.lua")
local hdr = ddb_headers("GetItem")
function init(args) math.randomseed(1000 + (tid or 1)) end
function request()
  local k = math.random(0, nkeys - 1)
  local body = '{"TableName":"' .. table_name .. '","Key":{"pk":{"S":"k' .. k .. '"}}}'
  return wrk.format("POST", "/", hdr, body)
end
