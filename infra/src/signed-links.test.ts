import { expect } from 'chai';
import { loadConfig } from './config.ts';
import {
  createLinkSigner,
  DEVELOPMENT_LINK_KEY,
  linkSigningKeySetting,
  LinkTokenError,
  publicLinks,
  type LinkTokenProblem,
} from './signed-links.ts';

const links = createLinkSigner({ key: 'k'.repeat(32) });
const userId = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';

async function problemOf(promise: Promise<unknown>): Promise<LinkTokenProblem | 'accepted'> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (error instanceof LinkTokenError) return error.problem;
    throw error;
  }
}

describe('signed links', () => {
  it('round-trips purpose, subject, claims and a unique token id', async () => {
    const token = await links.sign('verify-email', userId, {
      ttlSeconds: 600,
      claims: { email: 'ada@example.com', version: 3 },
    });
    const verified = await links.verify('verify-email', token);
    expect(verified.subject).to.equal(userId);
    expect(verified.claims).to.deep.equal({ email: 'ada@example.com', version: 3 });
    expect(verified.expiresAt.getTime() - verified.issuedAt.getTime()).to.equal(600_000);
    const again = await links.verify(
      'verify-email',
      await links.sign('verify-email', userId, { ttlSeconds: 600 }),
    );
    expect(again.tokenId).to.not.equal(verified.tokenId);
  });

  it('refuses a token made for another purpose', async () => {
    const token = await links.sign('unsubscribe', userId, { ttlSeconds: 600 });
    expect(await problemOf(links.verify('reset-password', token))).to.equal('wrong-purpose');
  });

  it('refuses an expired token', async () => {
    const token = await links.sign('unsubscribe', userId, { ttlSeconds: -1 });
    expect(await problemOf(links.verify('unsubscribe', token))).to.equal('expired');
  });

  it('refuses a tampered payload, another key, another algorithm and garbage', async () => {
    const token = await links.sign('unsubscribe', userId, { ttlSeconds: 600 });
    const [header = '', payload = '', signature = ''] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({
        ...(JSON.parse(Buffer.from(payload, 'base64url').toString()) as object),
        sub: 'someone-else',
      }),
    ).toString('base64url');
    expect(
      await problemOf(links.verify('unsubscribe', `${header}.${forged}.${signature}`)),
    ).to.equal('bad-signature');
    const other = createLinkSigner({ key: 'o'.repeat(32) });
    expect(await problemOf(other.verify('unsubscribe', token))).to.equal('bad-signature');
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    expect(await problemOf(links.verify('unsubscribe', `${none}.${payload}.`))).to.equal(
      'malformed',
    );
    expect(await problemOf(links.verify('unsubscribe', 'not-a-token'))).to.equal('malformed');
  });

  it('refuses claims that would overwrite the registered ones', async () => {
    const error = await links
      .sign('unsubscribe', userId, { ttlSeconds: 60, claims: { sub: 'x' } })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TypeError);
  });

  it('makes production refuse the development key', () => {
    const spec = { LINK_SIGNING_KEY: linkSigningKeySetting };
    expect(() => loadConfig(spec, { NODE_ENV: 'production' })).to.throw(/LINK_SIGNING_KEY/);
    expect(loadConfig(spec, {}).LINK_SIGNING_KEY).to.equal(DEVELOPMENT_LINK_KEY);
    expect(() => loadConfig(spec, { LINK_SIGNING_KEY: 'short' })).to.throw(/32 characters/);
  });
});

describe('public links', () => {
  it('puts the path under the base, with or without its trailing slash or a path prefix, and encodes the query', () => {
    for (const base of ['https://tw.example', 'https://tw.example/']) {
      expect(publicLinks(base)('unsubscribe', { token: 'a.b+c' })).to.equal(
        'https://tw.example/unsubscribe?token=a.b%2Bc',
      );
    }
    expect(publicLinks('https://tw.example/app')('graphql')).to.equal(
      'https://tw.example/app/graphql',
    );
    expect(publicLinks('http://127.0.0.1:4000/')('graphql', { query: '{ me { id } }' })).to.equal(
      'http://127.0.0.1:4000/graphql?query=%7B+me+%7B+id+%7D+%7D',
    );
  });
});
