import { readFile } from 'node:fs/promises';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { buildAsyncApiDocument, componentKey, payloadSchema } from './asyncapi.ts';
import { catalogue, EVENT_TYPES } from './catalogue.ts';
import { Envelope } from './envelope.ts';

/** The parser's diagnostics carry a severity typed by another copy of the enum: compare numbers. */
const ERROR: number = DiagnosticSeverity.Error;
const isError = (diagnostic: { severity: number }) => diagnostic.severity === ERROR;

const file = new URL('../asyncapi.yaml', import.meta.url);

interface JsonSchema {
  required?: string[];
  properties?: Record<string, JsonSchema>;
}

describe('contracts/asyncapi.yaml', () => {
  let text: string;
  let document: { components: { messages: Record<string, { name: string; payload: JsonSchema }> } };

  before(async () => {
    text = await readFile(file, 'utf8');
    document = parseYaml(text) as typeof document;
  });

  it('is up to date with the zod schemas (regenerate: npm run asyncapi -w contracts)', () => {
    expect(document).to.deep.equal(buildAsyncApiDocument());
  });

  it('is valid AsyncAPI 3.0 with no error diagnostics', async function () {
    this.timeout(60_000);
    const { document: parsed, diagnostics } = await new Parser().parse(text);
    // Warnings and hints are style advice (e.g. 'use 3.1.0'); the issue asks for 3.0.
    const errors = diagnostics.filter(isError);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).to.deep.equal([]);
    expect(parsed?.version()).to.equal('3.0.0');
    expect(parsed?.messages().length).to.equal(EVENT_TYPES.length);
  });

  it('is checked by a validator that does catch a broken document', async function () {
    this.timeout(60_000);
    const broken = text.replace('    address: user.registered\n', '    address: 12\n');
    expect(broken).not.to.equal(text);
    const { diagnostics } = await new Parser().parse(broken);
    expect(diagnostics.filter(isError).map((d) => d.message)).to.include(
      '"address" property type must be string,null',
    );
  });

  it('has a message for every event type, named by its type', () => {
    const names = Object.values(document.components.messages).map((m) => m.name);
    expect(names.sort()).to.deep.equal([...EVENT_TYPES].sort());
  });

  for (const type of EVENT_TYPES) {
    it(`${type}: required fields agree with zod, envelope and data`, () => {
      const payload = document.components.messages[componentKey(type)]!.payload;
      const envelopeRequired = (z.toJSONSchema(Envelope) as JsonSchema).required ?? [];
      const dataRequired = (z.toJSONSchema(catalogue[type].data) as JsonSchema).required ?? [];
      expect([...(payload.required ?? [])].sort()).to.deep.equal([...envelopeRequired].sort());
      expect([...(payload.properties?.data?.required ?? [])].sort()).to.deep.equal(
        [...dataRequired].sort(),
      );
      expect(payload).to.deep.equal(payloadSchema(type));
    });
  }
});
