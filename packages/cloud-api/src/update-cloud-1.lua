-- Updates fields of a Cloud API session hash KEYS[1], only when it exists: a late token check or
-- refresh must not resurrect a deleted session as a hash without its configuration.
-- ARGV[1]: when not empty, the sealed access token the caller read; the update is skipped if the
--          stored one differs (an operator replaced the token meanwhile; theirs wins).
-- ARGV[2]: n, the number of field/value pairs that follow; then ARGV[3 .. 2+2n] the pairs;
--          every ARGV after them is a field to delete.
-- Returns 1 written, 0 no such session, -1 the token changed.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'accessToken') ~= ARGV[1] then
  return -1
end
local n = tonumber(ARGV[2])
if n > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * n))
end
if #ARGV > 2 + 2 * n then
  redis.call('HDEL', KEYS[1], unpack(ARGV, 3 + 2 * n))
end
return 1
