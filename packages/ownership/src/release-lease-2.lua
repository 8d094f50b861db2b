-- Compare-and-delete of our own lease. Bumps the fence counter too, so a late write still carrying
-- the released fence (a creds flush, a job completion) is refused even before anyone re-acquires.
-- KEYS[1] lease, KEYS[2] fence counter. ARGV[1] "<holderId>:<fence>".
-- Returns 1 when released, 0 when it was not ours (any more).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('INCR', KEYS[2])
  return 1
end
return 0
