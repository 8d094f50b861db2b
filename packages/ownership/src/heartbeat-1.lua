-- Records a worker heartbeat at the Redis server's clock, so heartbeats from many hosts compare
-- against one clock. KEYS[1] heartbeat sorted set. ARGV[1] worker id. Returns the score (ms).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
return now
