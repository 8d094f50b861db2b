// The shipped Prometheus and Grafana files: promtool accepts them, the rule unit tests pass, and
// every metric the dashboard and the rules query exists in the one metrics catalogue.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, createWafleetMetrics } from '@wafleet/metrics';

const infra = fileURLToPath(new URL('../../infra/', import.meta.url));
const prom = `${infra}prometheus/`;

function catalogueNames(): Set<string> {
  const registry = createMetricsRegistry({ role: 'test', instance_id: 't' });
  createWafleetMetrics(registry);
  const names = new Set<string>();
  for (const m of registry.getMetricsAsArray()) {
    names.add(m.name);
    if (String(m.type) === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** `wafleet_*` metric names an expression mentions (recording rules are `wafleet:*` and excluded). */
const metricsIn = (expr: string) => expr.match(/\bwafleet_[a-z0-9_]+/g) ?? [];

describe('shipped observability files', () => {
  it('promtool check config and check rules pass', () => {
    execFileSync('promtool', ['check', 'config', `${prom}prometheus.yml`], { stdio: 'pipe' });
    const rules = readdirSync(`${prom}rules`).map((f) => `${prom}rules/${f}`);
    expect(rules.length).toBeGreaterThanOrEqual(2);
    execFileSync('promtool', ['check', 'rules', ...rules], { stdio: 'pipe' });
  });

  it('promtool test rules: the session-down alert fires after 5 minutes down and not before', () => {
    const out = execFileSync('promtool', ['test', 'rules', 'session-down.test.yml'], {
      cwd: `${prom}tests`,
      encoding: 'utf8',
    });
    expect(out).toContain('SUCCESS');
  });

  it('the Grafana dashboard is valid JSON and queries only catalogue metrics', () => {
    const dash = JSON.parse(readFileSync(`${infra}grafana/wafleet-overview.json`, 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const known = catalogueNames();
    const used = dash.panels.flatMap((p) => p.targets.flatMap((t) => metricsIn(t.expr)));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !known.has(n))).toEqual([]);
    for (const title of [
      'Sessions by state',
      'Failovers',
      'Send throughput by outcome',
      'Queue depth',
    ])
      expect(dash.panels.map((p) => p.title)).toContain(title);
  });

  it('alert and recording rules query only catalogue metrics', () => {
    const known = catalogueNames();
    const text = readdirSync(`${prom}rules`)
      .map((f) => readFileSync(`${prom}rules/${f}`, 'utf8'))
      .join('\n');
    const used = metricsIn(text);
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((n) => !known.has(n))).toEqual([]);
  });
});
