import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { TELEMETRY_IMPORT } from './launch.ts';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');
const SERVICES = ['gateway', 'collector', 'alerter', 'notifier'];

describe('every entry point starts through the telemetry bootstrap (launch.ts)', () => {
  it('npm scripts that run a service or a tool', async () => {
    const scripts = (JSON.parse(await read('package.json')) as { scripts: Record<string, string> })
      .scripts;
    const runners = Object.entries(scripts).filter(([, command]) =>
      /^node (.+ )?(scripts|gateway|collector|alerter|notifier)\/\S+\.ts/.test(command),
    );
    // start.ts launches the services itself (with nodeArguments); docs generates files.
    const launchers = new Set(['start', 'docs']);
    for (const [name, command] of runners.filter(([name]) => !launchers.has(name))) {
      expect(command, `npm run ${name}`).to.match(new RegExp(`^node ${TELEMETRY_IMPORT} `));
    }
    for (const service of SERVICES) {
      const { scripts: own } = JSON.parse(await read(`${service}/package.json`)) as {
        scripts: Record<string, string>;
      };
      expect(own.start, `${service} start`).to.equal(`node ${TELEMETRY_IMPORT} src/main.ts`);
    }
  });

  it('the container image, whatever command compose gives it', async () => {
    expect(await read('Dockerfile')).to.include(
      `ENTRYPOINT ["node", "${TELEMETRY_IMPORT}"]\nCMD ["gateway/src/main.ts"]`,
    );
    const compose = await read('compose.yaml');
    for (const service of SERVICES) {
      expect(compose).to.include(`command: ['${service}/src/main.ts']`);
    }
    expect(compose).not.to.match(/command: \['node'/);
  });

  it("npm start's supervisor and the entry-point tests", async () => {
    expect(await read('scripts/start/supervisor.ts')).to.include('nodeArguments(service.entry)');
    // The embedded MongoDB server and the SMTP sink.
    expect(await read('scripts/start/embedded-server.ts')).to.include(
      'nodeArguments(options.script, ...options.args)',
    );
    expect(await read('infra/src/testing/entry-point.ts')).to.include(
      'nodeArguments(entry.pathname)',
    );
  });
});
