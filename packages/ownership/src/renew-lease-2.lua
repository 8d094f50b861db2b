-- Compare-and-extend: extends the lease only while it is exactly ours and no newer fence exists.
-- KEYS[1] lease, KEYS[2] fence counter. ARGV[1] "<holderId>:<fence>", ARGV[2] fence, ARGV[3] ttl ms.
-- Returns 1 when extended, 0 when the lease expired or belongs to a newer fence.
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
