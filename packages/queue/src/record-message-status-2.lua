--[[
  Moves a message's status record forward, optionally only while the caller holds the session
  lease (fenced write).

  KEYS[1] message status hash   (<prefix>:{s:<id>}:msg:<messageId>)
  KEYS[2] session lease         (<prefix>:{s:<id>}:lease), value <workerId>:<fence>

  ARGV[1] new status: queued | sent | delivered | read | failed
  ARGV[2] now, epoch ms (updatedAt)
  ARGV[3] record TTL, ms
  ARGV[4] expected lease value, or '' for an unfenced write
  ARGV[5] least lease PTTL (ms) a fenced write accepts
  ARGV[6] when the status happened, epoch ms (written as <status>At)
  ARGV[7] job id ('' = none); written only if the record has none
  ARGV[8] failure reason ('' = none), for status failed
  ARGV[9] failure detail ('' = none), for status failed

  Returns { outcome, status }: outcome 1 = applied, 0 = ignored (not a forward move),
  -1 = fenced out (lease missing, someone else's, or about to expire); status = the status now
  stored (for -1: the lease value found).

  Order: queued < sent < delivered < read. failed is terminal, and is not applied over
  delivered or read (the recipient has the message; a late failure report is wrong).
]]
local rank = { queued = 1, sent = 2, delivered = 3, read = 4 }

if ARGV[4] ~= '' then
  local holder = redis.call('GET', KEYS[2])
  if holder ~= ARGV[4] then
    return { -1, holder or '' }
  end
  local pttl = redis.call('PTTL', KEYS[2])
  -- -1 (no TTL) never happens for a real lease; treat it as held.
  if pttl >= 0 and pttl < tonumber(ARGV[5]) then
    return { -1, holder }
  end
end

local new = ARGV[1]
local current = redis.call('HGET', KEYS[1], 'status')
local apply
if not current then
  apply = true
elseif current == 'failed' then
  apply = false
elseif new == 'failed' then
  apply = current ~= 'delivered' and current ~= 'read'
else
  apply = (rank[new] or 0) > (rank[current] or 0)
end

if apply then
  redis.call('HSET', KEYS[1], 'status', new, new .. 'At', ARGV[6], 'updatedAt', ARGV[2])
  if new == 'failed' then
    redis.call('HSET', KEYS[1], 'reason', ARGV[8], 'error', ARGV[9])
  end
end
if ARGV[7] ~= '' then
  redis.call('HSETNX', KEYS[1], 'jobId', ARGV[7])
end
if apply or current then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return { apply and 1 or 0, apply and new or current }
