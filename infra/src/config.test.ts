import { expect } from 'chai';
import { ConfigError, env, loadConfig, loggableUrl, setting } from './config.ts';
import { mongoUrlSetting, rabbitmqReconnectMaxSetting } from './service-settings.ts';

const spec = {
  PORT: setting(env.port(), 'HTTP port', { default: '4000' }),
  RABBITMQ_URL: setting(env.url(['amqp', 'amqps']), 'broker URL'),
  PARTITIONS: setting(env.int(1, 256), 'partitions', { default: '16' }),
  TOKEN_SECRET: setting(env.string(), 'signing key', { default: 'dev-secret', secret: true }),
  DEBUG_SQL: setting(env.boolean(), 'flag', { default: 'false' }),
};

describe('loadConfig', () => {
  it('parses values and applies defaults', () => {
    const config = loadConfig(spec, { RABBITMQ_URL: 'amqp://127.0.0.1', PORT: '8080' });
    expect(config).to.deep.equal({
      PORT: 8080,
      RABBITMQ_URL: 'amqp://127.0.0.1',
      PARTITIONS: 16,
      TOKEN_SECRET: 'dev-secret',
      DEBUG_SQL: false,
    });
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('lists every bad variable at once, each with its reason', () => {
    let caught: unknown;
    try {
      loadConfig(spec, { PORT: '70000', PARTITIONS: 'many', DEBUG_SQL: 'maybe' });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).to.have.length(4);
    expect(problems[0]).to.match(/^PORT: .*65535/);
    expect(problems[1]).to.equal('RABBITMQ_URL: required (broker URL)');
    expect(problems[2]).to.match(/^PARTITIONS: expected an integer/);
    expect(problems[3]).to.match(/^DEBUG_SQL: /);
  });

  it('refuses a default secret in production but accepts a real one', () => {
    const base = { RABBITMQ_URL: 'amqp://h', NODE_ENV: 'production' };
    expect(() => loadConfig(spec, base)).to.throw(
      ConfigError,
      /TOKEN_SECRET: the development default/,
    );
    expect(loadConfig(spec, { ...base, TOKEN_SECRET: 'a-real-secret' }).TOKEN_SECRET).to.equal(
      'a-real-secret',
    );
  });

  it('reads durations with their unit and numbers with decimals', () => {
    const timing = {
      POLL: setting(env.duration(1_000, 3_600_000), 'poll interval', { default: '15s' }),
      RATIO: setting(env.number(0, 100), 'ratio', { default: '2.5' }),
    };
    expect(loadConfig(timing, {})).to.deep.equal({ POLL: 15_000, RATIO: 2.5 });
    expect(loadConfig(timing, { POLL: '1.5m' }).POLL).to.equal(90_000);
    expect(loadConfig(timing, { POLL: '2500ms' }).POLL).to.equal(2_500);
    expect(() => loadConfig(timing, { POLL: '15', RATIO: 'x' })).to.throw(
      ConfigError,
      /POLL: expected a duration with a unit[^\n]*\n {2}RATIO: expected a number/,
    );
    expect(() => loadConfig(timing, { POLL: '500ms' })).to.throw(/POLL: must be at least 1s/);
    expect(() => loadConfig(timing, { POLL: '2h' })).to.throw(/POLL: must be at most 1h/);
  });

  it('rejects a URL with the wrong protocol', () => {
    expect(() => loadConfig(spec, { RABBITMQ_URL: 'http://h' })).to.throw(/protocol amqp or amqps/);
  });

  it('reports an unparseable URL as a bad variable (not a crash), with one reason', () => {
    expect(() => loadConfig(spec, { RABBITMQ_URL: 'not a url' }))
      .to.throw(ConfigError)
      .with.property('problems')
      .that.deep.equals(['RABBITMQ_URL: Invalid URL']);
  });
});

describe('mongoUrlSetting', () => {
  const load = (MONGO_URL: string) => loadConfig({ MONGO_URL: mongoUrlSetting }, { MONGO_URL });

  it('accepts a replica set connection string with several hosts, and SRV', () => {
    const replicaSet =
      'mongodb://u:p@db-0:27017,db-1:27017,db-2:27017/?replicaSet=rs0&authSource=admin';
    expect(load(replicaSet).MONGO_URL).to.equal(replicaSet);
    expect(load('mongodb+srv://u:p@cluster.example.com/').MONGO_URL).to.be.a('string');
  });

  it('refuses what the driver would refuse, naming the variable', () => {
    for (const bad of ['http://db:27017', 'mongodb://', 'db:27017']) {
      expect(() => load(bad), bad).to.throw(
        ConfigError,
        /^invalid configuration:\n {2}MONGO_URL: expected mongodb:\/\//,
      );
    }
  });
});

describe('rabbitmqReconnectMaxSetting', () => {
  const load = (RABBITMQ_RECONNECT_MAX?: string) =>
    loadConfig(
      { RABBITMQ_RECONNECT_MAX: rabbitmqReconnectMaxSetting },
      RABBITMQ_RECONNECT_MAX === undefined ? {} : { RABBITMQ_RECONNECT_MAX },
    );

  it('defaults to a 5 s cap and reads a duration', () => {
    expect(load().RABBITMQ_RECONNECT_MAX).to.equal(5_000);
    expect(load('2s').RABBITMQ_RECONNECT_MAX).to.equal(2_000);
  });

  it('refuses a cap below the first delay, above five minutes, or without a unit', () => {
    for (const [bad, reason] of [
      ['100ms', 'must be at least 250ms'],
      ['10m', 'must be at most 5m'],
      ['5', 'expected a duration with a unit'],
    ] as const) {
      expect(() => load(bad), bad).to.throw(ConfigError, `RABBITMQ_RECONNECT_MAX: ${reason}`);
    }
  });
});

describe('loggableUrl', () => {
  it('masks the password and keeps the rest', () => {
    expect(loggableUrl('amqp://guest:guest@127.0.0.1:5672/vh')).to.equal(
      'amqp://guest:***@127.0.0.1:5672/vh',
    );
    expect(loggableUrl('mongodb://u:s3cret@db-0:27017,db-1:27017/?replicaSet=rs0')).to.equal(
      'mongodb://u:***@db-0:27017,db-1:27017/?replicaSet=rs0',
    );
    expect(loggableUrl('not a url')).to.equal('<unparseable url>');
  });
});
