import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('redacts secrets at any of the configured depths', () => {
    const { lines, destination } = capture();
    const log = createLogger({ role: 'test', instanceId: 'i-1', destination });
    const token = 'EAAG-very-secret-token-123';
    log.info({ token }, 'top');
    log.info({ session: { token, apiKey: token } }, 'nested');
    log.info({ req: { headers: { authorization: `Bearer ${token}` } } }, 'header');
    log.child({ sessionId: 's1' }).info({ cloud: { config: { accessToken: token } } }, 'deep');
    log.info({ qr: 'https://wa.me/settings/linked_devices#ref,key' }, 'qr');
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).not.toContain(token);
      expect(line).not.toContain('linked_devices');
    }
    const deep = JSON.parse(lines[3]!) as Record<string, unknown>;
    expect(deep.sessionId).toBe('s1');
    expect(deep.role).toBe('test');
    expect(deep.instanceId).toBe('i-1');
    expect(deep.cloud).toEqual({ config: { accessToken: '[redacted]' } });
  });

  it('writes JSON with a string level and keeps non-secret fields', () => {
    const { lines, destination } = capture();
    createLogger({ role: 'x', destination, level: 'debug' }).debug({ count: 3 }, 'hello');
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'debug', count: 3, msg: 'hello', role: 'x' });
  });
});
