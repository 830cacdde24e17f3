-- PutItem of a ~60-byte item under a fresh key per request.
dofile((os.getenv("BENCH_DIR") or ".") .. "/common.lua")
local hdr = ddb_headers("PutItem")
local n = 0
function request()
  n = n + 1
  local body = '{"TableName":"' .. table_name .. '","Item":{"pk":{"S":"p' .. nonce .. tid .. '-' .. n ..
    '"},"v":{"S":"bench-value-0123456789abcdef"},"n":{"N":"' .. n .. '"}}}'
  return wrk.format("POST", "/", hdr, body)
end
