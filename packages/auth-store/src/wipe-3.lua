-- Deletes one session's creds and signal keys unless a newer owner exists.
-- KEYS[1] fence counter (absent = 0; kept, it only ever increases), KEYS[2] creds, KEYS[3] keys hash.
-- ARGV[1] the writer's fence. Returns {1} when wiped, {0, storedFence} when refused.
local stored = redis.call('GET', KEYS[1])
if stored then
  local storedFence = tonumber(stored)
  if not storedFence then
    return redis.error_reply('ERR fence counter ' .. KEYS[1] .. ' is not an integer')
  end
  if storedFence > tonumber(ARGV[1]) then
    return {0, stored}
  end
end
redis.call('DEL', KEYS[2], KEYS[3])
return {1}
