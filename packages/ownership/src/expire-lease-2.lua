-- Fast failover: deletes a lease held by a worker known to be dead, and bumps the fence counter so
-- that worker's fence is refused at once (should it not be as dead as it looked).
-- KEYS[1] lease, KEYS[2] fence counter. ARGV[1] holder id, ARGV[2] exact fence or "" for any fence.
-- Returns 1 when expired, 0 when the lease is absent or held by someone else (or another fence).
local current = redis.call('GET', KEYS[1])
if not current then
  return 0
end
local holder, fence = string.match(current, '^(.*):(%d+)$')
if holder ~= ARGV[1] or (ARGV[2] ~= '' and fence ~= ARGV[2]) then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
return 1
