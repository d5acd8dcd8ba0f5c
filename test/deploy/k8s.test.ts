/**
 * The Kubernetes manifests (infra/deploy/k8s), checked without a cluster or an online schema:
 * parsed, then held to the invariants a review would check by hand, against the code.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { PARTITIONS } from '@tickwatch/contracts';
import { loadConfig } from '@tickwatch/infra/config';
import { TELEMETRY_IMPORT } from '@tickwatch/infra/telemetry';
import { SERVICE_PROCESSES, type ServiceProcess } from '../../scripts/services.ts';
import {
  envFile,
  K8S_DIR,
  knownVariables,
  kubernetesManifests,
  kustomization,
  repositoryPath,
  type Manifest,
} from './deployment-files.ts';

interface Probe {
  httpGet?: { path: string; port: string };
}
interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: EnvEntry[];
  envFrom?: { configMapRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; securityContext?: { runAsNonRoot?: boolean } };
}
interface WorkloadSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: PodTemplate;
}

const manifests = kubernetesManifests();
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const named = (kind: string, name: string) =>
  manifests.find((m) => m.kind === kind && m.metadata.name === name);
const configMap = (name: string) => named('ConfigMap', name)?.data ?? {};
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** The workload running a service: its kind, spec and (only) container. */
function workload(service: ServiceProcess) {
  const found = manifests.find(
    (m) => ['Deployment', 'StatefulSet'].includes(m.kind) && m.metadata.name === service.name,
  );
  expect(found, `${service.name} workload`).to.exist;
  const spec = found!.spec as unknown as WorkloadSpec;
  expect(spec.template.spec.containers, service.name).to.have.length(1);
  return { kind: found!.kind, spec, container: spec.template.spec.containers[0]! };
}

/** The environment a container gets: its ConfigMaps' keys and values, then its own entries. */
function environment(container: Container): Map<string, EnvEntry> {
  const entries = new Map<string, EnvEntry>();
  for (const source of container.envFrom ?? []) {
    const data = configMap(source.configMapRef?.name ?? '');
    expect(data, `ConfigMap ${String(source.configMapRef?.name)}`).not.to.be.empty;
    for (const [name, value] of Object.entries(data)) entries.set(name, { name, value });
  }
  for (const entry of container.env ?? []) entries.set(entry.name, entry);
  return entries;
}

/** What the container's own command line reads (the alerter's shell arithmetic). */
const commandText = (container: Container) =>
  [...(container.command ?? []), ...(container.args ?? [])].join(' ');

describe('Kubernetes manifests (infra/deploy/k8s)', () => {
  const secretExample = envFile(`${K8S_DIR}/secrets.env.example`);

  it('lists every manifest in the kustomization, and generates the secrets from git-ignored files', async () => {
    const files = readdirSync(repositoryPath(K8S_DIR)).filter((f) => f.endsWith('.yaml'));
    expect([...kustomization().resources, 'kustomization.yaml'].sort()).to.deep.equal(files.sort());
    for (const generator of kustomization().secretGenerator) {
      for (const file of generator.envs) {
        expect(existsSync(repositoryPath(`${K8S_DIR}/${file}.example`)), file).to.be.true;
        const ignored = await promisify(execFile)('git', ['check-ignore', `${K8S_DIR}/${file}`], {
          cwd: repositoryPath('.'),
        });
        expect(ignored.stdout.trim(), file).to.equal(`${K8S_DIR}/${file}`);
      }
    }
  });

  it('keeps secrets out of the manifests: no Secret objects, no secret setting as a literal', () => {
    expect(ofKind('Secret')).to.be.empty;
    for (const service of SERVICE_PROCESSES) {
      for (const [name, entry] of environment(workload(service).container)) {
        if (!service.settings[name]?.secret) continue;
        expect(entry.valueFrom?.secretKeyRef?.name, `${service.name}: ${name}`).to.equal(
          'tickwatch-secrets',
        );
        expect(secretExample, `${name} in secrets.env.example`).to.have.property(
          entry.valueFrom!.secretKeyRef!.key,
        );
      }
    }
  });

  it('runs each service from the image through the telemetry bootstrap, with only settings it declares', () => {
    for (const service of SERVICE_PROCESSES) {
      const { container } = workload(service);
      expect(container.image, service.name).to.equal('tickwatch');
      if (container.command) {
        // A command replaces the image's ENTRYPOINT: it must start the same way.
        expect(commandText(container), service.name).to.include(
          `exec node ${TELEMETRY_IMPORT} ${service.entry}`,
        );
      } else {
        expect(container.args, service.name).to.deep.equal([service.entry]);
      }
      const known = knownVariables(service);
      for (const name of environment(container).keys()) {
        const readByCommand = new RegExp(`\\b${name}\\b`).test(commandText(container));
        expect(known.includes(name) || readByCommand, `${service.name}: ${name}`).to.be.true;
      }
    }
  });

  it('gives each service a configuration it accepts in production (example secrets)', () => {
    for (const service of SERVICE_PROCESSES) {
      const values: Record<string, string> = { NODE_ENV: 'production' };
      for (const [name, entry] of environment(workload(service).container)) {
        values[name] = entry.value ?? secretExample[entry.valueFrom!.secretKeyRef!.key]!;
      }
      expect(() => loadConfig(service.settings, values), service.name).not.to.throw();
    }
  });

  it('gives the gateway and the notifier the same public URL and link key (links made by one, checked by the other)', () => {
    const [gateway, notifier] = ['gateway', 'notifier'].map((name) =>
      environment(workload(SERVICE_PROCESSES.find((service) => service.name === name)!).container),
    );
    for (const name of ['PUBLIC_BASE_URL', 'LINK_SIGNING_KEY']) {
      expect(gateway!.get(name), name).to.exist;
      expect(notifier!.get(name), name).to.deep.equal(gateway!.get(name));
    }
  });

  it('probes readiness (/readyz) and liveness (/healthz) on the operations port, and sets resources', () => {
    for (const service of SERVICE_PROCESSES) {
      const { spec, container } = workload(service);
      const ops = container.ports?.find((port) => port.name === 'ops');
      expect(String(ops?.containerPort), service.name).to.equal(
        environment(container).get(service.opsPortVariable)?.value,
      );
      expect(container.readinessProbe?.httpGet, service.name).to.deep.equal({
        path: '/readyz',
        port: 'ops',
      });
      expect(container.livenessProbe?.httpGet, service.name).to.deep.equal({
        path: '/healthz',
        port: 'ops',
      });
      for (const bound of ['requests', 'limits'] as const) {
        expect(container.resources?.[bound], `${service.name} ${bound}`).to.have.keys(
          'cpu',
          'memory',
        );
      }
      expect(spec.template.spec.securityContext?.runAsNonRoot, service.name).to.be.true;
      expect(spec.template.metadata.annotations?.['prometheus.io/port'], service.name).to.equal(
        String(ops?.containerPort),
      );
    }
  });

  it('selectors match labels: workloads, Services, PodDisruptionBudgets', () => {
    const templates = SERVICE_PROCESSES.map((service) => workload(service).spec);
    for (const spec of templates) {
      expect(matches(spec.selector.matchLabels, spec.template.metadata.labels)).to.be.true;
    }
    const selecting = (selector: Record<string, string>) =>
      templates.filter((spec) => matches(selector, spec.template.metadata.labels));
    for (const service of ofKind('Service')) {
      const selector = (service.spec as { selector: Record<string, string> }).selector;
      expect(selecting(selector), `Service ${service.metadata.name}`).to.have.length(1);
      const [target] = selecting(selector);
      const portNames = target!.template.spec.containers[0]!.ports!.map((port) => port.name);
      for (const port of (service.spec as { ports: { targetPort: string }[] }).ports) {
        expect(portNames, `Service ${service.metadata.name}`).to.include(port.targetPort);
      }
    }
    for (const service of SERVICE_PROCESSES) {
      const budget = named('PodDisruptionBudget', service.name);
      expect(budget, `${service.name} PodDisruptionBudget`).to.exist;
      const { selector } = budget!.spec as { selector: { matchLabels: Record<string, string> } };
      expect(selecting(selector.matchLabels), `${service.name} PDB`).to.have.length(1);
    }
  });

  it('autoscales the gateway and the notifier, not the partitioned alerter', () => {
    const scaled = ofKind('HorizontalPodAutoscaler').map((hpa) => {
      const target = (hpa.spec as { scaleTargetRef: { kind: string; name: string } })
        .scaleTargetRef;
      expect(named(target.kind, target.name), hpa.metadata.name).to.exist;
      return target.name;
    });
    expect(scaled.sort()).to.deep.equal(['gateway', 'notifier']);
  });

  it('runs the alerter as a StatefulSet whose pod ordinals share out every partition', () => {
    const alerter = SERVICE_PROCESSES.find((service) => service.name === 'alerter')!;
    const { kind, spec, container } = workload(alerter);
    expect(kind).to.equal('StatefulSet');
    const env = environment(container);
    expect(env.get('REPLICAS')?.value).to.equal(String(spec.replicas));
    expect(env.get('PARTITIONS')?.value).to.equal(String(PARTITIONS));
    expect(commandText(container)).to.include(
      'ALERTER_PARTITIONS="$((n * PARTITIONS / REPLICAS))-$(((n + 1) * PARTITIONS / REPLICAS - 1))"',
    );
    // The shell's integer arithmetic, for every ordinal: disjoint ranges covering them all.
    const owned: number[] = [];
    for (let n = 0; n < spec.replicas; n++) {
      const first = Math.floor((n * PARTITIONS) / spec.replicas);
      const last = Math.floor(((n + 1) * PARTITIONS) / spec.replicas) - 1;
      expect(last, `alerter-${n}`).to.be.at.least(first);
      for (let p = first; p <= last; p++) owned.push(p);
    }
    expect(owned).to.deep.equal(Array.from({ length: PARTITIONS }, (_, p) => p));
  });

  it('points at a RabbitMQ cluster and a MongoDB replica set that survive the loss of a member', () => {
    const rabbit = ofKind('RabbitmqCluster');
    expect(rabbit).to.have.length(1);
    expect((rabbit[0]!.spec as { replicas: number }).replicas).to.equal(3);
    const mongo = ofKind('MongoDBCommunity') as (Manifest & {
      spec: { members: number; type: string; users: { passwordSecretRef: { name: string } }[] };
    })[];
    expect(mongo).to.have.length(1);
    expect(mongo[0]!.spec).to.include({ members: 3, type: 'ReplicaSet' });
    const generated = kustomization().secretGenerator.map((generator) => generator.name);
    for (const user of mongo[0]!.spec.users)
      expect(generated).to.include(user.passwordSecretRef.name);
    expect(secretExample.MONGO_URL).to.include(`replicaSet=${mongo[0]!.metadata.name}`);
    expect(secretExample.RABBITMQ_URL).to.include(`@${rabbit[0]!.metadata.name}.`);
  });
});
