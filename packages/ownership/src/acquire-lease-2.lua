-- Acquires a fenced lease unless another holder has it.
-- KEYS[1] lease (value "<holderId>:<fence>", PX ttl), KEYS[2] fence counter (only ever increases).
-- ARGV[1] holder id, ARGV[2] ttl in ms.
-- Returns {1, fence} when acquired; {0, currentValue, pttl} when someone else holds it.
-- The same holder id asking again is a new acquisition with a new fence: a restarted process that
-- reuses its id cannot know its old fence, and the new fence shuts out its old incarnation.
local current = redis.call('GET', KEYS[1])
if current then
  local holder = string.match(current, '^(.*):%d+$')
  if holder ~= ARGV[1] then
    return {0, current, redis.call('PTTL', KEYS[1])}
  end
end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], string.format('%s:%d', ARGV[1], fence), 'PX', ARGV[2])
return {1, fence}
