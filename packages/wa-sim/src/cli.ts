#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ControlServer } from './control/control-server.js';
import { WaSim } from './server/wa-sim.js';
import type { SimLogger } from './server/sim-logger.js';

const USAGE = `usage: wa-sim [--port N] [--host H] [--control-port N] [--state-file PATH] [--qr-refs N] [--no-media] [--verbose]
Prints one JSON line {ws_url, control_url, root_public_key, media_ca_pem} on stdout when ready.`;

// Logs go to stderr so stdout stays one machine-readable line.
const stderrLogger = (verbose: boolean): SimLogger => {
  const write = (level: string) => (obj: object, msg?: string) => {
    process.stderr.write(
      `${JSON.stringify({ level, msg, ...obj }, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`,
    );
  };
  return {
    debug: verbose ? write('debug') : () => undefined,
    info: verbose ? write('info') : () => undefined,
    warn: write('warn'),
    error: write('error'),
  };
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'control-port': { type: 'string' },
      'state-file': { type: 'string' },
      'qr-refs': { type: 'string' },
      'no-media': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const int = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be a non-negative integer, got ${v}`);
    return n;
  };
  const sim = await WaSim.start({
    port: int(values.port ?? process.env.WA_SIM_PORT, 'port') ?? 0,
    host: values.host ?? '127.0.0.1',
    logger: stderrLogger(values.verbose === true),
    ...(values['state-file'] ? { stateFile: values['state-file'] } : {}),
    ...(values['qr-refs'] ? { qrRefCount: int(values['qr-refs'], 'qr-refs')! } : {}),
    media: values['no-media'] !== true,
  });
  const control = new ControlServer(sim);
  await control.listen(
    int(values['control-port'] ?? process.env.WA_SIM_CONTROL_PORT, 'control-port') ?? 0,
  );
  process.stdout.write(`${JSON.stringify(control.info())}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void Promise.all([control.close(), sim.stop()]).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`wa-sim: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(1);
});
