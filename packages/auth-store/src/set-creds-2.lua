-- Writes a session's creds unless a newer owner exists.
-- KEYS[1] fence counter (INCRed by each lease acquisition; absent = 0), KEYS[2] creds value.
-- ARGV[1] the writer's fence, ARGV[2] the encrypted creds.
-- Returns {1} when written, {0, storedFence} when refused.
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
redis.call('SET', KEYS[2], ARGV[2])
return {1}
