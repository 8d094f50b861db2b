import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@wafleet/core';
import type { Registry } from 'prom-client';

/** One readiness check: a name and whether it passes (with an optional detail). */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<{ ok: boolean; detail?: string }> | { ok: boolean; detail?: string };
}

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  logger: Logger;
  role: string;
  instanceId: string;
  readiness?: ReadinessCheck[];
  /** Extra routes served by the same server (the api mounts itself differently; this is for small apps). */
}

/** The ops HTTP server of a process. */
export interface OpsServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(
  c: ReadinessCheck,
): Promise<{ name: string; ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<{ ok: boolean; detail: string }>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
        CHECK_TIMEOUT_MS,
      );
    });
    const result = await Promise.race([Promise.resolve(c.check()), timeout]);
    return { name: c.name, ...result };
  } catch (err) {
    return { name: c.name, ok: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Builds the readiness JSON body from the checks. */
export async function readinessReport(checks: ReadinessCheck[]) {
  const results = await Promise.all(checks.map(runCheck));
  return { ok: results.every((r) => r.ok), checks: results };
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * `/healthz` (the process is alive), `/readyz` (its dependencies answer; JSON body of the checks)
 * and `/metrics` (Prometheus text) for processes without their own HTTP framework.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(
        res,
        405,
        JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: 'use GET' } }),
        'application/json',
      );
      return;
    }
    if (path === '/healthz') {
      send(
        res,
        200,
        JSON.stringify({ ok: true, role: options.role, instanceId: options.instanceId }),
        'application/json',
      );
    } else if (path === '/readyz') {
      const report = await readinessReport(options.readiness ?? []);
      send(res, report.ok ? 200 : 503, JSON.stringify(report), 'application/json');
    } else if (path === '/metrics') {
      send(res, 200, await options.registry.metrics(), options.registry.contentType);
    } else {
      send(
        res,
        404,
        JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${path}` } }),
        'application/json',
      );
    }
  };
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      options.logger.error({ err }, 'ops request failed');
      if (!res.headersSent)
        send(
          res,
          500,
          JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }),
          'application/json',
        );
    });
  });
  // Health probes hold keep-alive sockets; do not let them delay shutdown.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ host: options.host, port }, 'ops server listening');
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
