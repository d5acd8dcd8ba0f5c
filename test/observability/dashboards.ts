/**
 * Reading the Grafana dashboards (grafana/dashboards/*.json) for the tests: every panel's
 * datasource and PromQL expressions, the expressions with Grafana's macros and variables
 * substituted (as Grafana does before sending them), and the metric names they select, read
 * from the parse tree of Prometheus's own PromQL grammar (@prometheus-io/lezer-promql).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';

const root = path.join(import.meta.dirname, '../..');
export const DASHBOARDS_DIR = path.join(root, 'grafana/dashboards');

export interface Datasource {
  readonly type?: string;
  readonly uid?: string;
}
export interface Target {
  readonly refId?: string;
  readonly expr?: string;
  readonly datasource?: Datasource;
}
export interface Panel {
  readonly title?: string;
  readonly type: string;
  readonly datasource?: Datasource;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
export interface Dashboard {
  readonly file: string;
  readonly uid?: string;
  readonly title?: string;
  readonly panels: readonly Panel[];
}

/** Every dashboard file, parsed (JSON.parse throws on an invalid one, naming it). */
export function dashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8');
      try {
        return { ...(JSON.parse(text) as Omit<Dashboard, 'file'>), file };
      } catch (error) {
        throw new Error(`${file}: ${String(error)}`, { cause: error });
      }
    });
}

/** Panels, rows' nested panels included. */
export function panelsOf(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** The uids grafana/provisioning/datasources provisions. */
export function provisionedDatasources(): Map<string, string> {
  const file = path.join(root, 'grafana/provisioning/datasources/datasources.yaml');
  const config = parse(readFileSync(file, 'utf8')) as {
    datasources: { uid: string; type: string }[];
  };
  return new Map(config.datasources.map((source) => [source.uid, source.type]));
}

/** Grafana's interval macros and the time range, replaced by what Grafana would send. */
const MACROS: readonly [RegExp, string][] = [
  [/\$__rate_interval\b|\$\{__rate_interval\}/g, '1m'],
  [/\$__interval\b|\$\{__interval\}/g, '15s'],
  [/\$__range\b|\$\{__range\}/g, '1h'],
];

export function substituteMacros(expr: string): string {
  return MACROS.reduce((text, [macro, value]) => text.replace(macro, value), expr);
}

export interface ParsedExpression {
  readonly errors: string[];
  readonly metrics: string[];
}

/** Syntax errors (as the offending text) and selected metric names of one PromQL expression. */
export function parsePromQL(expr: string): ParsedExpression {
  const errors: string[] = [];
  const metrics: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`at ${String(node.from)}: "${expr.slice(node.from, node.to + 10)}"`);
      if (node.name === 'VectorSelector') {
        const name = node.node.getChild('Identifier');
        if (name) metrics.push(expr.slice(name.from, name.to));
      }
    },
  });
  return { errors, metrics };
}

/** Every PromQL expression of every dashboard, macros substituted, with where it is. */
export function expressions(): { where: string; expr: string }[] {
  return dashboards().flatMap((dashboard) =>
    panelsOf(dashboard).flatMap((panel) =>
      (panel.targets ?? []).flatMap((target) =>
        target.expr
          ? [
              {
                where: `${dashboard.file} "${panel.title ?? ''}" ${target.refId ?? ''}`,
                expr: substituteMacros(target.expr),
              },
            ]
          : [],
      ),
    ),
  );
}

export function dashboardMetricNames(): Set<string> {
  return new Set(expressions().flatMap(({ expr }) => parsePromQL(expr).metrics));
}

/** Series Prometheus makes itself (scrape health, alert state), not any target's. */
export const PROMETHEUS_OWN_METRICS = [
  'up',
  'ALERTS',
  'ALERTS_FOR_STATE',
  'scrape_duration_seconds',
];

/**
 * The metrics RabbitMQ's Prometheus plugin documents (deps/rabbitmq_prometheus/metrics.md), of
 * the families the dashboards read; grafana/rabbitmq-metrics.txt, one name a line.
 */
export function rabbitmqMetrics(): Set<string> {
  const text = readFileSync(path.join(root, 'grafana/rabbitmq-metrics.txt'), 'utf8');
  return new Set(text.split('\n').filter((line) => /^rabbitmq_\w+$/.test(line)));
}
