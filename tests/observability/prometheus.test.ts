// A real Prometheus scraping a real cluster (api + coordinator + 2 workers + wa-sim) with the shipped config.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, TEST_KEYRING_ENV, type PairedSession } from '@wafleet/cluster-harness';
import { freePort } from '@wafleet/redis';
import { spawnProcess, until, type SpawnedApp, type SpawnedProcess } from '@wafleet/test-support';
import { ADMIN_KEY, spawnApi } from '../api/api-harness.js';

const promDir = fileURLToPath(new URL('../../infra/prometheus/', import.meta.url));

/** The shipped config with the targets rewritten to this cluster's random ports and a 1 s interval. */
function testConfig(shipped: string, targets: Record<string, string[]>, keyFile: string): string {
  let out = shipped
    .replace(/scrape_interval: \S+/, 'scrape_interval: 1s')
    .replace(/evaluation_interval: \S+/, 'evaluation_interval: 1s')
    .replace(/credentials_file: \S+/, `credentials_file: ${keyFile}`)
    .replace(/rules\//g, `${promDir}rules/`);
  for (const [job, list] of Object.entries(targets)) {
    const re = new RegExp(`(job_name: ${job}\\n[\\s\\S]*?targets: )\\[[^\\]]*\\]`);
    expect(re.test(out), `job ${job} in prometheus.yml`).toBe(true);
    out = out.replace(re, `$1${JSON.stringify(list)}`);
  }
  return out;
}

/**
 * prom-client's own default gauges `nodejs_active_{handles,requests,resources}_total` break the
 * `_total` lint and are kept under their standard names (stock dashboards use them); every other
 * finding fails the test.
 */
const PROM_CLIENT_LINT =
  /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;

function checkMetrics(text: string): void {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const problems = `${r.stdout}${r.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !PROM_CLIENT_LINT.test(l));
  expect(problems).toEqual([]);
  expect(text).toContain('wafleet_');
}

describe('Prometheus scraping a running cluster', () => {
  let cluster: TestCluster;
  let api: SpawnedApp | undefined;
  let prom: SpawnedProcess;
  let promUrl: string;
  let dir: string;
  let sessions: PairedSession[];

  async function query(
    q: string,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: never[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  }
  const scalar = async (q: string) => {
    const r = await query(q);
    return r.length === 0 ? undefined : Number(r[0]!.value[1]);
  };

  beforeAll(async () => {
    cluster = await TestCluster.start({
      workers: 2,
      env: { SESSION_MONITOR_INTERVAL_MS: '500' },
    });
    // The api is part of the scrape config: if it cannot start, the test must fail, not shrink.
    api = await spawnApi({ ...cluster.env, INSTANCE_ID: 'api-1' });
    sessions = await cluster.addPairedSessions(5);
    dir = mkdtempSync(join(tmpdir(), 'wafleet-prom-'));
    const keyFile = join(dir, 'api-key');
    writeFileSync(keyFile, ADMIN_KEY);
    const cfg = join(dir, 'prometheus.yml');
    writeFileSync(
      cfg,
      testConfig(
        readFileSync(join(promDir, 'prometheus.yml'), 'utf8'),
        {
          'wafleet-api': api ? [`127.0.0.1:${api.port}`] : [],
          'wafleet-coordinator': cluster.coordinators.map((c) => `127.0.0.1:${c.port}`),
          'wafleet-worker': cluster.workers.map((w) => `127.0.0.1:${w.port}`),
        },
        keyFile,
      ),
    );
    execFileSync('promtool', ['check', 'config', cfg]);
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawnProcess('prometheus', 'prometheus', [
      `--config.file=${cfg}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    await until(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok, {
      timeoutMs: 30_000,
      what: 'prometheus ready',
    });
  }, 180_000);

  afterAll(async () => {
    await prom?.stop(5000).catch(() => undefined);
    await api?.stop(5000).catch(() => undefined);
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('all targets up; 5 paired sessions show as open; a refused session changes the metric', async () => {
    await cluster.waitAllOpen(sessions.map((s) => s.sessionId));
    await until(async () => (await scalar('count(up == 1)')) === (api ? 4 : 3), {
      timeoutMs: 30_000,
      what: 'all targets up',
    });
    expect(await scalar('count(up == 0)')).toBeUndefined();
    await until(async () => (await scalar('sum(wafleet_sessions{state="open"})')) === 5, {
      timeoutMs: 30_000,
      what: 'sum(wafleet_sessions{state="open"}) = 5',
    });
    const victim = sessions[0]!;
    await cluster.sim.control.refuseLogins(victim.deviceJid, { forMs: 60_000 });
    await cluster.sim.control.disconnect(victim.deviceJid, { kind: 'close' });
    await until(async () => (await scalar('sum(wafleet_sessions{state="open"})')) === 4, {
      timeoutMs: 30_000,
      what: 'open sessions drop to 4',
    });
    await until(async () => ((await scalar('max(wafleet_sessions_down)')) ?? 0) >= 1, {
      timeoutMs: 30_000,
      what: 'coordinator counts the session down',
    });
    await cluster.sim.control.allowLogins(victim.deviceJid);
    await cluster.waitAllOpen(sessions.map((s) => s.sessionId));
  }, 120_000);

  it('SIGKILL of a worker moves wafleet_failovers_total and wafleet_failover_duration_seconds', async () => {
    const before = (await scalar('sum(wafleet_failovers_total)')) ?? 0;
    const victim = cluster.workers.find((w) => w.name === 'worker-1')!;
    victim.signal('SIGKILL');
    await victim.exited;
    cluster.workers.splice(cluster.workers.indexOf(victim), 1);
    await cluster.waitAllOpen(
      sessions.map((s) => s.sessionId),
      { notOn: ['worker-1'] },
    );
    await until(async () => ((await scalar('sum(wafleet_failovers_total)')) ?? 0) > before, {
      timeoutMs: 30_000,
      what: 'failover counter moved',
    });
    await until(
      async () => ((await scalar('sum(wafleet_failover_duration_seconds_count)')) ?? 0) > 0,
      {
        timeoutMs: 30_000,
        what: 'failover histogram moved',
      },
    );
    expect(await scalar('sum(wafleet_failover_duration_seconds_sum)')).toBeGreaterThan(0);
    await until(async () => (await scalar('max(wafleet_workers{status="dead"})')) === 1, {
      timeoutMs: 30_000,
      what: 'coordinator reports the dead worker',
    });
  }, 120_000);

  it('promtool check metrics passes on every process; no phone number or key material in any label', async () => {
    const targets = [...cluster.workers, ...cluster.coordinators];
    const keyB64 = TEST_KEYRING_ENV.split(':')[1]!;
    for (const t of targets) {
      const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
      checkMetrics(text);
      for (const s of sessions) {
        expect(text).not.toContain(s.phone);
        expect(text).not.toContain(s.deviceJid.split(/[:@]/)[0]!);
      }
      expect(text).not.toContain(keyB64);
      expect(text).not.toMatch(/session_id=/);
    }
    if (api) {
      const res = await fetch(`${api.baseUrl}/metrics`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      const text = await res.text();
      checkMetrics(text);
      for (const s of sessions) expect(text).not.toContain(s.phone);
      expect(text).not.toContain(ADMIN_KEY);
    }
  }, 60_000);
});
