import { ConfigError, loadConfig } from '@tickwatch/infra/config';
import { expect } from 'chai';
import { settings } from './config.ts';

describe('gateway configuration', () => {
  it('refuses the development keys in production, naming each', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig(settings, { NODE_ENV: 'production' });
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems.map((p) => p.split(':')[0])).to.include.members([
      'AUTH_TOKEN_KEY',
      'LINK_SIGNING_KEY',
    ]);
  });

  it('takes keys of 32 characters or more in production', () => {
    const config = loadConfig(settings, {
      NODE_ENV: 'production',
      AUTH_TOKEN_KEY: 'a'.repeat(40),
      LINK_SIGNING_KEY: 'b'.repeat(40),
      RABBITMQ_URL: 'amqp://tickwatch:secret@rabbitmq:5672',
    });
    expect(config.GATEWAY_PORT).to.equal(4000);
    expect(config.REQUIRE_EMAIL_VERIFICATION).to.equal(true);
  });
});
