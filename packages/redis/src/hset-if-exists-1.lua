-- HSET the field/value pairs in ARGV only when KEYS[1] exists, so a late status report from a
-- worker never resurrects a deleted session's record. Returns 1 when written, 0 otherwise.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
