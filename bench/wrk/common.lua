-- Shared by put.lua and get.lua (after ../shared/bench-wrk, the outside benchmark): a DynamoDB
-- awsJson 1.0 request whose SigV4 header is well formed but not computed. An open-mode server
-- checks the signature's form and scope, not its value, so wrk sends the same header on every
-- request and spends its time on the connection, not on HMACs.
local auth = "AWS4-HMAC-SHA256 Credential=test/" .. os.date("!%Y%m%d") .. "/us-east-1/dynamodb/aws4_request, " ..
  "SignedHeaders=content-type;host;x-amz-date;x-amz-target, " ..
  "Signature=" .. string.rep("0123456789abcdef", 4)
function ddb_headers(op)
  return {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "DynamoDB_20120810." .. op,
    ["X-Amz-Date"] = os.date("!%Y%m%dT%H%M%SZ"),
    ["Authorization"] = auth,
  }
end
table_name = os.getenv("BENCH_TABLE") or "bench"
nkeys = tonumber(os.getenv("BENCH_NKEYS") or "100000")
nonce = os.getenv("BENCH_NONCE") or ""
local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
-- Writes what dynostack-bench reads back: the counts, then every latency recorded (µs) with how
-- many requests took it, so slices merge into one exact histogram.
function done(summary, latency, requests)
  local path = os.getenv("BENCH_REPORT")
  if not path then return end
  local f = assert(io.open(path, "w"))
  local e = summary.errors
  f:write(string.format("requests %d\nduration_us %d\nstatus %d\nconnect %d\nread %d\nwrite %d\ntimeout %d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout))
  for i = 1, #latency do
    local us, count = latency(i)
    f:write(string.format("latency %d %d\n", us, count))
  end
  f:close()
end
