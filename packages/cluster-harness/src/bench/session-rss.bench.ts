// `pnpm bench session-rss [--sessions 100]`: resident memory per connected idle session — N
// SessionRunners in this process against a wa-sim child process, minus this process before them.
import { createLogger } from '@wafleet/core';
import { SessionRunner, trustSimulatorRoot } from '@wafleet/session';
import { startSimProcess } from '@wafleet/test-support/harness';
import { createMemoryAuthState } from '@wafleet/wa-sim/client';
import { numberArg, report } from './bench-support.js';

const sessions = numberArg('sessions', 100);
const settle = () => new Promise((r) => setTimeout(r, 3000));
const gc = (globalThis as { gc?: () => void }).gc;

const sim = await startSimProcess();
try {
  trustSimulatorRoot(Buffer.from(sim.info.root_public_key, 'base64'));
  const devices = [];
  for (let i = 0; i < sessions; i++) {
    const phone = await sim.control.createPhone();
    devices.push(await sim.control.createPairedDevice(phone.number, { reportPreKeyCount: 100 }));
  }
  const logger = createLogger({ role: 'bench', level: 'silent' });
  // Load the session code and one idle runner's worth of modules before the baseline.
  gc?.();
  await settle();
  const before = process.memoryUsage().rss;
  const runners = devices.map((d, i) => {
    const mem = createMemoryAuthState(d.creds);
    return new SessionRunner({
      sessionId: `rss${i}`,
      logger,
      socket: { waWebSocketUrl: sim.info.ws_url },
      openAuth: () =>
        Promise.resolve({
          state: mem.state,
          saveCreds: () => Promise.resolve(),
          wipe: () => Promise.resolve(),
        }),
    });
  });
  const t0 = Date.now();
  for (let i = 0; i < runners.length; i += 10)
    await Promise.all(runners.slice(i, i + 10).map((r) => r.start()));
  while (!runners.every((r) => r.state === 'open')) {
    if (Date.now() - t0 > 300_000) throw new Error('sessions did not open');
    await new Promise((r) => setTimeout(r, 200));
  }
  const openMs = Date.now() - t0;
  await settle();
  gc?.();
  await settle();
  const after = process.memoryUsage().rss;
  await Promise.all(runners.map((r) => r.stop()));
  report({
    bench: 'session-rss',
    sessions,
    rss_before_bytes: before,
    rss_after_bytes: after,
    rss_bytes_per_session: Math.round((after - before) / sessions),
    open_all_ms: openMs,
    gc: gc !== undefined,
  });
} finally {
  await sim.stop();
}
