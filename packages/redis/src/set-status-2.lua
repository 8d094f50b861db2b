-- Writes a session's runtime status (ARGV[2..] = field/value pairs) into its record KEYS[1], only
-- when the record exists (a late report must not resurrect a deleted session) and, when ARGV[1] is
-- not empty, only while the lease KEYS[2] still holds that value (`<workerId>:<fence>`): a worker
-- that lost the session cannot overwrite what the new owner reports. Returns 1 written, 0 skipped.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
