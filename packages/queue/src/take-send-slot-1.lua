-- Sliding-window send rate of one session: at most ARGV[2] sends in any ARGV[1] ms.
-- KEYS[1] sorted set of send starts (score = ms, Redis server time, so every owner agrees).
-- ARGV[1] window ms, ARGV[2] max, ARGV[3] member (unique per send).
-- Returns 0 when the send may start now (and records it), else the ms to wait.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
