/**
 * The Grafana dashboards and their provisioning, checked without Grafana: every dashboard is
 * valid JSON with a fixed uid, every panel's datasource is one provisioned (by uid and type),
 * every PromQL expression parses with Prometheus's grammar after Grafana's macros are
 * substituted, and the overview answers the operator's questions. That the metrics they name
 * are really exported is checked on the running system (running-system.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { SERVICE_PROCESSES } from '../../scripts/services.ts';
import { composeFile, repositoryPath } from '../deploy/deployment-files.ts';
import {
  dashboardMetricNames,
  dashboards,
  expressions,
  panelsOf,
  parsePromQL,
  provisionedDatasources,
  substituteMacros,
} from './dashboards.ts';

describe('Grafana dashboards (grafana/)', () => {
  const all = dashboards();
  const sources = provisionedDatasources();

  it('has an overview and one dashboard per service, each with a fixed, unique uid', () => {
    const uids = all.map((dashboard) => dashboard.uid);
    expect(uids).to.have.members([
      'tickwatch-overview',
      ...SERVICE_PROCESSES.map((service) => `tickwatch-${service.name}`),
    ]);
    for (const dashboard of all) {
      expect(dashboard.title, dashboard.file).to.be.a('string').and.not.be.empty;
      expect(dashboard.panels, dashboard.file).not.to.be.empty;
    }
  });

  it('points every panel and query at a provisioned datasource, by uid and type', () => {
    for (const dashboard of all) {
      for (const panel of panelsOf(dashboard)) {
        if (panel.type === 'row') continue;
        const where = `${dashboard.file} "${panel.title ?? ''}"`;
        for (const source of [
          panel.datasource,
          ...(panel.targets ?? []).map((t) => t.datasource),
        ]) {
          expect(source?.uid, where).to.be.a('string');
          expect(sources.get(source!.uid!), `${where}: datasource ${source!.uid!}`).to.equal(
            source!.type,
          );
        }
        expect(panel.targets, where).not.to.be.empty;
      }
    }
  });

  it('links exemplars (trace_id) from Prometheus to the provisioned Jaeger', () => {
    const file = repositoryPath('grafana/provisioning/datasources/datasources.yaml');
    const { datasources } = parse(readFileSync(file, 'utf8')) as {
      datasources: {
        uid: string;
        jsonData?: { exemplarTraceIdDestinations?: { name: string; datasourceUid: string }[] };
      }[];
    };
    const links = datasources.find((source) => source.uid === 'prometheus')?.jsonData
      ?.exemplarTraceIdDestinations;
    expect(links).to.deep.equal([{ name: 'trace_id', datasourceUid: 'jaeger' }]);
    expect(sources.get('jaeger')).to.equal('jaeger');
  });

  it('writes only PromQL that parses, once the macros are substituted', () => {
    const found = expressions();
    expect(found.length).to.be.at.least(40);
    for (const { where, expr } of found) {
      expect(expr, where).not.to.match(/\$/);
      const { errors, metrics } = parsePromQL(expr);
      expect(errors, `${where}: ${expr}`).to.deep.equal([]);
      expect(metrics, `${where}: selects a metric`).not.to.be.empty;
    }
  });

  it('the parse check fails on broken PromQL and on a macro left unsubstituted', () => {
    expect(parsePromQL('sum(rate(x[5m])) by').errors).not.to.be.empty;
    expect(parsePromQL('rate(x[$__rate_interval])').errors).not.to.be.empty;
    expect(parsePromQL(substituteMacros('rate(x[$__rate_interval])')).errors).to.deep.equal([]);
  });

  it('answers on the overview: pipeline, latency with exemplars, errors, breaker, queues, DLQs, partitions', () => {
    const overview = all.find((dashboard) => dashboard.uid === 'tickwatch-overview')!;
    const targets = panelsOf(overview).flatMap((panel) => panel.targets ?? []);
    const names = new Set(
      targets.flatMap((target) => parsePromQL(substituteMacros(target.expr ?? '')).metrics),
    );
    for (const metric of [
      'tickwatch_collector_quotes_published_total',
      'tickwatch_alerter_alerts_triggered_total',
      'tickwatch_notifier_deliveries_total',
      'tickwatch_alert_latency_seconds_bucket',
      'tickwatch_messaging_consumed_total',
      'tickwatch_collector_circuit_state',
      'rabbitmq_detailed_queue_messages',
      'rabbitmq_detailed_queue_consumers',
    ]) {
      expect([...names], metric).to.include(metric);
    }
    const latency = targets.filter((target) =>
      target.expr?.includes('tickwatch_alert_latency_seconds'),
    );
    expect(latency.every((target) => (target as { exemplar?: boolean }).exemplar)).to.be.true;
    expect(dashboardMetricNames().size).to.be.at.least(30);
  });

  it('is what compose provisions: the provider reads the mounted dashboards folder', () => {
    const grafana = composeFile().services.grafana!;
    const provider = parse(
      readFileSync(repositoryPath('grafana/provisioning/dashboards/dashboards.yaml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    const mounted = (grafana.volumes ?? []).find((volume) =>
      volume.startsWith('./grafana/dashboards:'),
    );
    expect(mounted?.split(':')[1]).to.equal(provider.providers[0]?.options.path);
    expect(path.basename(repositoryPath('grafana/dashboards'))).to.equal('dashboards');
  });
});
