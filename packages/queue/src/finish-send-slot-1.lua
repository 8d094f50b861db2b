-- Marks a send of the sliding-window rate as finished: its slot counts from now (Redis time).
-- Counting from the end of a send, not its start, keeps the spacing the receiver sees however
-- long the request took. KEYS[1] the rate sorted set; ARGV[1] window ms; ARGV[2] member.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZADD', KEYS[1], 'XX', now, ARGV[2]) ~= false then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return 0
