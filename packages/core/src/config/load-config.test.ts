import { describe, expect, it } from 'vitest';
import { WafleetError } from '../errors.js';
import { loadConfig } from './load-config.js';
import { apiConfigSchema, workerConfigSchema } from './schemas.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const valid = { REDIS_URL: 'redis://127.0.0.1:6379', ENCRYPTION_KEYS: `k1:${KEY}` };

function problemsOf(fn: () => unknown): { variable: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WafleetError);
    const e = err as WafleetError;
    expect(e.code).toBe('CONFIG_INVALID');
    return e.details.problems as { variable: string; message: string }[];
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('takes 0 to turn the auth key cache off and names a bad size', () => {
    expect(
      loadConfig(workerConfigSchema, { ...valid, AUTH_KEY_CACHE_BYTES: '0' }).AUTH_KEY_CACHE_BYTES,
    ).toBe(0);
    expect(
      problemsOf(() => loadConfig(workerConfigSchema, { ...valid, AUTH_KEY_CACHE_BYTES: '-1' })),
    ).toEqual([{ variable: 'AUTH_KEY_CACHE_BYTES', message: 'must be 0 (no cache) or more' }]);
    expect(
      problemsOf(() => loadConfig(workerConfigSchema, { ...valid, AUTH_KEY_CACHE_BYTES: 'lots' })),
    ).toEqual([{ variable: 'AUTH_KEY_CACHE_BYTES', message: 'must be a number (bytes)' }]);
  });

  it('applies defaults and coerces numbers', () => {
    const cfg = loadConfig(workerConfigSchema, { ...valid, HTTP_PORT: '9500' });
    expect(cfg.HTTP_PORT).toBe(9500);
    expect(cfg.LOG_LEVEL).toBe('info');
    expect(cfg.REDIS_KEY_PREFIX).toBe('wf');
    expect(cfg.WORKER_CAPACITY).toBe(500);
    expect(cfg.AUTH_KEY_CACHE_BYTES).toBe(262_144);
    expect(cfg.ENCRYPTION_KEYS.currentKeyId).toBe('k1');
    expect(cfg.ENCRYPTION_KEYS.keys.get('k1')?.equals(Buffer.alloc(32, 7))).toBe(true);
  });

  it('names every bad variable in one error', () => {
    const problems = problemsOf(() =>
      loadConfig(workerConfigSchema, {
        REDIS_URL: 'http://nope',
        HTTP_PORT: 'eighty',
        LOG_LEVEL: 'loud',
        WORKER_CAPACITY: '-3',
        ENCRYPTION_KEYS: 'k1:c2hvcnQ=',
      }),
    );
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'ENCRYPTION_KEYS',
      'HTTP_PORT',
      'LOG_LEVEL',
      'REDIS_URL',
      'WORKER_CAPACITY',
    ]);
    expect(problems.find((p) => p.variable === 'ENCRYPTION_KEYS')?.message).toMatch(/32 bytes/);
  });

  it('lists missing secrets by name and has no defaults for them', () => {
    const problems = problemsOf(() => loadConfig(apiConfigSchema, {}));
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'API_ADMIN_KEY',
      'ENCRYPTION_KEYS',
      'REDIS_URL',
    ]);
  });

  it('never puts a secret value into the error message', () => {
    const secret = 'redis://:hunter2-super-secret@';
    try {
      loadConfig(apiConfigSchema, {
        REDIS_URL: secret.replace('redis', 'http'),
        ENCRYPTION_KEYS: 'x:abc',
      });
      expect.unreachable();
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2');
      expect(JSON.stringify(err)).not.toContain('hunter2');
    }
  });

  it('treats empty strings as unset', () => {
    const cfg = loadConfig(workerConfigSchema, { ...valid, LOG_LEVEL: '' });
    expect(cfg.LOG_LEVEL).toBe('info');
  });

  it('accepts rotated keyrings and rejects duplicate ids', () => {
    const other = Buffer.alloc(32, 1).toString('base64');
    const cfg = loadConfig(workerConfigSchema, {
      ...valid,
      ENCRYPTION_KEYS: `k2:${other}, k1:${KEY}`,
    });
    expect(cfg.ENCRYPTION_KEYS.currentKeyId).toBe('k2');
    expect([...cfg.ENCRYPTION_KEYS.keys.keys()]).toEqual(['k2', 'k1']);
    const problems = problemsOf(() =>
      loadConfig(workerConfigSchema, { ...valid, ENCRYPTION_KEYS: `k1:${KEY},k1:${other}` }),
    );
    expect(problems[0]?.message).toMatch(/twice/);
  });
});

describe('worker config guards', () => {
  it('refuses to trust a wa-sim root in production', () => {
    const root = Buffer.alloc(32, 3).toString('base64');
    expect(
      loadConfig(workerConfigSchema, { ...valid, WA_SIM_ROOT_PUBLIC_KEY: root })
        .WA_SIM_ROOT_PUBLIC_KEY,
    ).toBe(root);
    const problems = problemsOf(() =>
      loadConfig(workerConfigSchema, {
        ...valid,
        NODE_ENV: 'production',
        WA_SIM_ROOT_PUBLIC_KEY: root,
      }),
    );
    expect(problems).toEqual([
      {
        variable: 'WA_SIM_ROOT_PUBLIC_KEY',
        message: expect.stringMatching(/production/) as string,
      },
    ]);
  });
});
