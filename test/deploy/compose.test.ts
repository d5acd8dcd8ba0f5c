/**
 * compose.yaml, the Dockerfile and the files they mount, checked without a Docker engine: Debian's
 * docker-compose 1.29 validates the file (`config -q`), the rest is read and compared with the
 * code (entry points, settings, ports).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { loadConfig } from '@tickwatch/infra/config';
import { TELEMETRY_IMPORT } from '@tickwatch/infra/telemetry';
import { SERVICE_PROCESSES } from '../../scripts/services.ts';
import {
  composeFile,
  dockerfile,
  dotEnv,
  knownVariables,
  prometheusScrapePorts,
  repositoryPath,
  type ComposeService,
} from './deployment-files.ts';

const run = promisify(execFile);

/** The secrets compose requires from the environment (`${NAME:?...}`). */
const REQUIRED_SECRETS = ['GRAFANA_ADMIN_PASSWORD', 'LINK_SIGNING_KEY', 'AUTH_TOKEN_KEY'];

describe('compose.yaml and the Dockerfile', () => {
  const compose = composeFile();
  const env = dotEnv();
  const productServices = SERVICE_PROCESSES.map((service) => ({
    service,
    spec: compose.services[service.name] as ComposeService,
  }));

  it("is valid for Debian's docker-compose 1.29 (config -q), and refuses to run without its secrets", async () => {
    const secrets = Object.fromEntries(REQUIRED_SECRETS.map((name) => [name, 'x'.repeat(32)]));
    const config = (env: NodeJS.ProcessEnv) =>
      run('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], {
        cwd: repositoryPath('.'),
        env,
        timeout: 60_000,
      });
    await config({ ...process.env, ...secrets });
    const withoutSecrets = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !REQUIRED_SECRETS.includes(name)),
    );
    const failure = await config(withoutSecrets).then(
      () => undefined,
      (error: unknown) => error as { stderr: string },
    );
    expect(failure?.stderr).to.match(
      /set (GRAFANA_ADMIN_PASSWORD|LINK_SIGNING_KEY|AUTH_TOKEN_KEY)/,
    );
    for (const name of REQUIRED_SECRETS) {
      expect(compose.text, name).to.include(
        `\${${name}:?set ${name} (README "Running with Docker")}`,
      );
    }
  });

  it('uses only keys compose 1.29 knows, and gets its name and images from .env', () => {
    expect(compose).not.to.have.any.keys('version', 'name', 'include');
    expect(env.COMPOSE_PROJECT_NAME).to.equal('tickwatch');
    const text = compose.text;
    for (const key of ['start_interval', 'develop', 'restart: true']) {
      expect(text, key).not.to.include(key);
    }
    for (const [name, spec] of Object.entries(compose.services)) {
      if (spec.build) continue;
      const variable = /^\$\{(\w+)\}$/.exec(spec.image ?? '')?.[1];
      expect(variable, `${name}: image from .env`).to.be.a('string');
      expect(env[variable!], `${name}: pinned tag`).to.match(/:v?\d+\.\d+(\.\d+)?(-[\w.]+)?$/);
    }
  });

  it('defines every variable it reads, in .env or as a secret it asks for', () => {
    for (const [, name, operator] of compose.text.matchAll(/\$\{(\w+)(:[-?])?[^}]*\}/g)) {
      if (operator === ':?') expect(REQUIRED_SECRETS, name).to.include(name);
      else expect(env, `${name!} in .env`).to.have.property(name!);
    }
  });

  it('runs each service with its entry point, only settings it declares, and its operations port', () => {
    for (const { service, spec } of productServices) {
      expect(spec.command, service.name).to.deep.equal([service.entry]);
      expect(existsSync(repositoryPath(service.entry)), service.entry).to.be.true;
      const known = knownVariables(service);
      for (const variable of Object.keys(spec.environment ?? {})) {
        expect(known, `${service.name}: ${variable}`).to.include(variable);
      }
      expect(spec.environment?.[service.opsPortVariable], service.name).to.equal(
        prometheusScrapePorts().get(service.name),
      );
    }
  });

  it('gives each service a configuration it accepts in production (the image sets NODE_ENV)', () => {
    const secrets = Object.fromEntries(REQUIRED_SECRETS.map((name) => [name, 'x'.repeat(32)]));
    for (const { service, spec } of productServices) {
      const environment = Object.fromEntries(
        Object.entries(spec.environment ?? {}).map(([name, value]) => [
          name,
          value.replace(
            /\$\{(\w+)[^}]*\}/g,
            (_, variable: string) => secrets[variable] ?? env[variable] ?? '',
          ),
        ]),
      );
      expect(
        () => loadConfig(service.settings, { ...environment, NODE_ENV: 'production' }),
        service.name,
      ).not.to.throw();
    }
  });

  it('gives the gateway and the notifier the same public URL and link key', () => {
    const { gateway, notifier } = compose.services;
    for (const name of ['PUBLIC_BASE_URL', 'LINK_SIGNING_KEY']) {
      expect(gateway?.environment?.[name], name).to.be.a('string');
      expect(notifier?.environment?.[name], name).to.equal(gateway?.environment?.[name]);
    }
  });

  it('lets the services scale: no container names, no published ports, memory limits, ready dependencies', () => {
    for (const { service, spec } of productServices) {
      expect(spec, service.name).not.to.have.any.keys('container_name', 'ports');
      expect(spec.mem_limit, service.name).to.be.a('string');
      expect(spec.restart, service.name).to.equal('unless-stopped');
      for (const dependency of ['rabbitmq', 'mongo']) {
        expect(spec.depends_on?.[dependency], `${service.name} → ${dependency}`).to.deep.equal({
          condition: 'service_healthy',
        });
      }
    }
    expect(compose.services['gateway-lb']?.depends_on?.gateway).to.deep.equal({
      condition: 'service_healthy',
    });
    for (const dependency of ['mongo', 'rabbitmq', 'gateway-lb']) {
      expect(compose.services[dependency]?.healthcheck, dependency).to.be.an('object');
    }
  });

  it('publishes only user-facing ports, on 127.0.0.1', () => {
    const published = Object.entries(compose.services).flatMap(([name, spec]) =>
      (spec.ports ?? []).map((port) => ({ name, port })),
    );
    expect(published.map(({ name }) => name).sort()).to.deep.equal([
      'gateway-lb',
      'grafana',
      'jaeger',
      'mailpit',
      'rabbitmq',
      'rabbitmq',
    ]);
    for (const { name, port } of published) expect(port, name).to.match(/^127\.0\.0\.1:/);
  });

  it('mounts only files and directories that exist', () => {
    const mounts = Object.values(compose.services).flatMap((spec) =>
      (spec.volumes ?? []).filter((volume) => volume.startsWith('./')),
    );
    expect(mounts).not.to.be.empty;
    for (const mount of mounts) {
      const source = mount.split(':')[0]!;
      expect(existsSync(repositoryPath(source)), source).to.be.true;
    }
  });

  it('builds a non-root image of production dependencies that starts through the telemetry bootstrap', () => {
    const image = dockerfile();
    expect(image.entrypoint).to.deep.equal(['node', TELEMETRY_IMPORT]);
    expect(existsSync(repositoryPath(image.cmd[0]!)), 'CMD').to.be.true;
    const check = image.healthcheck.filter((arg) => arg.endsWith('.ts'));
    expect(check).to.have.length(1);
    expect(existsSync(repositoryPath(check[0]!)), 'HEALTHCHECK').to.be.true;
    for (const source of image.copySources) {
      expect(existsSync(repositoryPath(source)), `COPY ${source}`).to.be.true;
    }
    expect(image.user).to.equal('node');
    expect(image.text).to.include('npm ci --omit=dev');
    expect(image.nodeImageDefault, 'ARG NODE_IMAGE = .env NODE_IMAGE').to.equal(env.NODE_IMAGE);
    expect(image.nodeImageDefault).to.match(/^node:24\./);
  });

  it('has Prometheus scrape every service (promtool and amtool: alerting.test.ts)', () => {
    expect([...prometheusScrapePorts().keys()]).to.include.members(
      SERVICE_PROCESSES.map((service) => service.name),
    );
  });
});
