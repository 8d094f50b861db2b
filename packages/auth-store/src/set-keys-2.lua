-- Applies one Baileys keys.set call (puts and deletes) atomically unless a newer owner exists.
-- KEYS[1] fence counter (absent = 0), KEYS[2] the session's signal keys hash.
-- ARGV[1] the writer's fence, ARGV[2] number of puts n, ARGV[3 .. 2+2n] field/value pairs,
-- then the fields to delete.
-- Commands issued: one GET plus one HSET/HDEL per 500 items, whatever the size of the hash.
-- Returns {1} when applied, {0, storedFence} when refused.
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
-- unpack() is limited to a few thousand values, so large calls go in chunks (still one script).
local CHUNK = 500
local last = 2 + 2 * tonumber(ARGV[2])
local i = 3
while i <= last do
  local j = math.min(i + 2 * CHUNK - 1, last)
  redis.call('HSET', KEYS[2], unpack(ARGV, i, j))
  i = j + 1
end
i = last + 1
while i <= #ARGV do
  local j = math.min(i + CHUNK - 1, #ARGV)
  redis.call('HDEL', KEYS[2], unpack(ARGV, i, j))
  i = j + 1
end
return {1}
