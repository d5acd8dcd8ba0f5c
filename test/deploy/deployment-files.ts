/** Reading the deployment files for the deployment tests: compose.yaml, .env, Dockerfile, Prometheus. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { TELEMETRY_VARIABLES } from '@tickwatch/infra/telemetry';
import type { ServiceProcess } from '../../scripts/services.ts';

const root = new URL('../../', import.meta.url);

export const repositoryPath = (relative: string): string =>
  fileURLToPath(new URL(relative.replace(/^\.\//, ''), root));

const read = (relative: string): string => readFileSync(repositoryPath(relative), 'utf8');

export interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly command?: string[];
  /** Values as strings, as the container sees them. */
  readonly environment?: Record<string, string>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly depends_on?: Record<string, unknown>;
  readonly healthcheck?: unknown;
  readonly mem_limit?: string;
  readonly restart?: string;
}

export interface ComposeFile {
  readonly text: string;
  readonly services: Record<string, ComposeService>;
  readonly [key: string]: unknown;
}

export function composeFile(): ComposeFile {
  const text = read('compose.yaml');
  const parsed = parse(text, { merge: true }) as {
    services: Record<string, Omit<ComposeService, 'environment'> & { environment?: object }>;
  };
  const services = Object.fromEntries(
    Object.entries(parsed.services).map(([name, service]) => [
      name,
      {
        ...service,
        environment:
          service.environment &&
          Object.fromEntries(
            Object.entries(service.environment).map(([key, value]) => [key, String(value)]),
          ),
      },
    ]),
  );
  return { ...parsed, services, text };
}

/** KEY=VALUE lines of .env (comments and blank lines skipped). */
export const dotEnv = (): Record<string, string> => envFile('.env');

/** What a service process may be given: its settings, the OTel variables, NODE_ENV. */
export function knownVariables(service: ServiceProcess): string[] {
  return [
    ...Object.keys(service.settings),
    ...TELEMETRY_VARIABLES.map((variable) => variable.name),
    'NODE_ENV',
  ];
}

/** Prometheus job → the port it scrapes (as a string). */
export function prometheusScrapePorts(): Map<string, string> {
  const config = parse(read('infra/deploy/prometheus/prometheus.yml')) as {
    scrape_configs: { job_name: string; dns_sd_configs?: { port: number }[] }[];
  };
  return new Map(
    config.scrape_configs.flatMap(({ job_name, dns_sd_configs }) =>
      dns_sd_configs?.[0] ? [[job_name, String(dns_sd_configs[0].port)] as const] : [],
    ),
  );
}

export interface Dockerfile {
  readonly text: string;
  readonly entrypoint: string[];
  readonly cmd: string[];
  readonly healthcheck: string[];
  readonly user: string | undefined;
  readonly copySources: string[];
  readonly nodeImageDefault: string | undefined;
}

/** The instructions that matter here; exec-form (JSON) arguments only, as the image uses. */
export function dockerfile(): Dockerfile {
  const text = read('Dockerfile');
  const instructions = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'));
  const last = (keyword: string) =>
    instructions.filter((line) => line.startsWith(`${keyword} `)).at(-1);
  const execForm = (line: string | undefined) =>
    JSON.parse(line?.slice(line.indexOf('[')) ?? '[]') as string[];
  return {
    text,
    entrypoint: execForm(last('ENTRYPOINT')),
    cmd: execForm(last('CMD')),
    healthcheck: execForm(last('HEALTHCHECK')),
    user: last('USER')?.split(' ')[1],
    copySources: instructions
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1)),
    nodeImageDefault: /^ARG NODE_IMAGE=(\S+)/m.exec(text)?.[1],
  };
}

export interface Manifest {
  readonly file: string;
  readonly kind: string;
  readonly apiVersion: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
}

export interface Kustomization {
  readonly resources: string[];
  readonly secretGenerator: { name: string; envs: string[] }[];
}

export const K8S_DIR = 'infra/deploy/k8s';

export function kustomization(): Kustomization {
  return parse(read(`${K8S_DIR}/kustomization.yaml`)) as Kustomization;
}

/** Every document of every resource the kustomization lists. */
export function kubernetesManifests(): Manifest[] {
  return kustomization().resources.flatMap((file) =>
    parseAllDocuments(read(`${K8S_DIR}/${file}`)).map(
      (document) => ({ file, ...(document.toJS() as object) }) as Manifest,
    ),
  );
}

/** KEY=VALUE lines of an env file (as kustomize's `envs` reads them). */
export function envFile(relative: string): Record<string, string> {
  return Object.fromEntries(
    read(relative)
      .split('\n')
      .filter((line) => /^\w+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}
