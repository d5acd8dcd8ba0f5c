import { readFileSync } from 'node:fs';
import { createLinkSigner, LinkTokenError } from '@tickwatch/infra/signed-links';
import { expect } from 'chai';
import { buildSchema, parse, validate } from 'graphql';
import { createLinks, manageRuleQuery } from './links.ts';

const ruleId = '6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

describe('email links', () => {
  it('asks the gateway a query its schema accepts', () => {
    const schemaFile = new URL('../../../gateway/src/schema.graphql', import.meta.url);
    const schema = buildSchema(readFileSync(schemaFile, 'utf8'));
    expect(validate(schema, parse(manageRuleQuery(ruleId))).map((e) => e.message)).to.deep.equal(
      [],
    );
    expect(() => manageRuleQuery('") { __typename } #')).to.throw(TypeError);
  });

  it('signs unsubscribe tokens the gateway verifies with the shared key, and refuses a tampered one', async () => {
    const key = 'links-test-signing-key-0123456789abcdef';
    const links = createLinks({
      publicBaseUrl: 'https://tickwatch.example/',
      signer: createLinkSigner({ key }),
    });
    const url = new URL(await links.unsubscribe('user-1'));
    expect(`${url.origin}${url.pathname}`).to.equal('https://tickwatch.example/unsubscribe');
    const token = url.searchParams.get('token') ?? '';
    const verifier = createLinkSigner({ key });
    expect((await verifier.verify('unsubscribe', token)).subject).to.equal('user-1');
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()),
        sub: 'user-2',
      }),
    ).toString('base64url');
    for (const tampered of [`${header}.${forged}.${signature}`, `${token}x`]) {
      const error = await verifier.verify('unsubscribe', tampered).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(LinkTokenError);
    }
    const other = createLinkSigner({ key: `${key}-other` });
    expect(await other.verify('unsubscribe', token).catch((e: unknown) => e)).to.be.instanceOf(
      LinkTokenError,
    );
  });
});
