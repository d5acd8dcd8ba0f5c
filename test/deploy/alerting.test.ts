/**
 * Prometheus and Alertmanager as compose runs them, checked with the real tools (Debian's
 * prometheus and prometheus-alertmanager packages, installed by .ci/run): the configuration and
 * the rules pass `promtool check config`, every alert rule has a unit test and they pass
 * (`promtool test rules`), Alertmanager's configuration is rendered from its template with the
 * values compose gives it and passes `amtool check-config`, and compose mounts exactly these files.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse } from 'yaml';
import { composeFile, dotEnv, repositoryPath } from './deployment-files.ts';

const run = promisify(execFile);
const cwd = repositoryPath('.');
const PROMETHEUS = 'infra/deploy/prometheus';
const ALERTMANAGER = 'infra/deploy/alertmanager';

interface RuleFile {
  groups: { rules: { alert?: string }[] }[];
}
interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const readYaml = (relative: string): unknown =>
  parse(readFileSync(repositoryPath(relative), 'utf8'));

describe('alerting: Prometheus rules and Alertmanager', function () {
  this.timeout(60_000);
  const compose = composeFile();
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'tickwatch-alerting-'));
  });
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  /** render.sh with the environment compose gives the Alertmanager container. */
  const render = (env: Record<string, string>, output: string) =>
    run('sh', [`${ALERTMANAGER}/render.sh`, `${ALERTMANAGER}/alertmanager.yml.tmpl`, output], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
  const alertmanagerEnv = (): Record<string, string> => {
    const env = dotEnv();
    const spec = compose.services.alertmanager!.environment ?? {};
    return Object.fromEntries(
      Object.entries(spec).map(([name, value]) => [
        name,
        value.replace(/\$\{(\w+)\}/g, (_, variable: string) => env[variable] ?? ''),
      ]),
    );
  };

  it('prometheus.yml and its rule files pass promtool check config', async () => {
    const { stdout } = await run('promtool', ['check', 'config', `${PROMETHEUS}/prometheus.yml`], {
      cwd,
    });
    expect(stdout).to.match(/SUCCESS: \d+ rules found/);
  });

  it('every alert rule has a unit test that fires it, and promtool test rules passes', async () => {
    const alerts = (readYaml(`${PROMETHEUS}/rules/tickwatch.yml`) as RuleFile).groups.flatMap(
      (group) => group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])),
    );
    expect(alerts).to.include.members([
      'TickwatchServiceDown',
      'TickwatchCircuitOpen',
      'TickwatchDeadLetters',
      'TickwatchAlertLatencyHigh',
      'TickwatchDeliveryErrors',
      'TickwatchPartitionWithoutConsumer',
      'TickwatchOutboxLagging',
    ]);
    const fired = (readYaml(`${PROMETHEUS}/tests/tickwatch.test.yml`) as RuleTests).tests.flatMap(
      (test) =>
        (test.alert_rule_test ?? []).flatMap((check) =>
          check.exp_alerts.length > 0 ? [check.alertname] : [],
        ),
    );
    expect(new Set(fired)).to.deep.equal(new Set(alerts));
    const { stdout } = await run(
      'promtool',
      ['test', 'rules', `${PROMETHEUS}/tests/tickwatch.test.yml`],
      { cwd },
    );
    expect(stdout).to.include('SUCCESS');
  });

  it("renders Alertmanager's configuration with compose's values, and amtool accepts it", async () => {
    const rendered = path.join(scratch, 'alertmanager.yml');
    await render(alertmanagerEnv(), rendered);
    const text = readFileSync(rendered, 'utf8');
    expect(text).not.to.include('${');
    const config = parse(text) as {
      global: { smtp_smarthost: string; smtp_require_tls: boolean };
      receivers: { email_configs?: { to: string }[] }[];
    };
    expect(config.global.smtp_smarthost).to.equal('mailpit:1025');
    expect(config.global.smtp_require_tls).to.equal(false);
    expect(config.receivers[0]?.email_configs?.[0]?.to).to.equal('operators@tickwatch.local');
    const { stdout } = await run('amtool', ['check-config', rendered], { cwd });
    expect(stdout).to.include('SUCCESS');
  });

  it('refuses to render with a variable unset, naming every one (exit 78)', async () => {
    const {
      ALERTMANAGER_EMAIL_TO: _to,
      ALERTMANAGER_SMTP_SMARTHOST: _host,
      ...rest
    } = alertmanagerEnv();
    const failure = await render(rest, path.join(scratch, 'refused.yml')).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failure?.code).to.equal(78);
    expect(failure?.stderr).to.match(/ALERTMANAGER_EMAIL_TO ALERTMANAGER_SMTP_SMARTHOST$/m);
  });

  it('compose mounts exactly these files, and Prometheus keeps exemplars', () => {
    const mounts = (service: string) =>
      (compose.services[service]?.volumes ?? []).filter((volume) => volume.startsWith('./'));
    expect(mounts('prometheus')).to.deep.equal([
      `./${PROMETHEUS}/prometheus.yml:/etc/prometheus/prometheus.yml:ro`,
      `./${PROMETHEUS}/rules:/etc/prometheus/rules:ro`,
    ]);
    expect(mounts('alertmanager')).to.deep.equal([
      `./${ALERTMANAGER}/alertmanager.yml.tmpl:/etc/alertmanager/alertmanager.yml.tmpl:ro`,
      `./${ALERTMANAGER}/render.sh:/etc/alertmanager/render.sh:ro`,
    ]);
    expect(compose.services.alertmanager?.command?.join(' ')).to.include(
      'render.sh /etc/alertmanager/alertmanager.yml.tmpl /tmp/alertmanager.yml',
    );
    expect(compose.services.prometheus?.command).to.include('--enable-feature=exemplar-storage');
  });
});
