-- Reads a lease, its remaining ttl and the fence counter in one atomic step.
-- KEYS[1] lease, KEYS[2] fence counter. Returns {value or nil, pttl, counter or nil}.
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[2])}
