import { expect } from 'chai';
import { EVENT_TYPES, EventType, catalogue } from './catalogue.ts';
import { createEvent, serializeEvent } from './create-event.ts';
import type { TickwatchEvent } from './envelope.ts';
import { exampleData } from './examples.ts';
import { MAX_AVERAGES_PER_EVENT } from './schemas/market.ts';
import { EventValidationError, parseEvent } from './validation.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const options = { source: 'tickwatch/test', time: '2026-10-02T20:00:02.000Z' };

function exampleEvent(type: (typeof EVENT_TYPES)[number]): TickwatchEvent {
  return createEvent(type, exampleData[type] as never, options) as TickwatchEvent;
}

/**
 * Every path to an object field in a JSON value. An array is a leaf, but the fields of its first
 * element are paths too (`data.averages.0.ticker`): a list of records is checked record by record.
 */
function fieldPaths(value: Json, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.length > 0 ? fieldPaths(value[0]!, [...prefix, '0']) : [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...fieldPaths(child, [...prefix, key]),
  ]);
}

function withField(
  value: Json,
  path: readonly string[],
  replace: (old: Json) => Json | undefined,
): Json {
  const copy = structuredClone(value) as Record<string, Json>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, Json>;
  const last = path.at(-1)!;
  const replacement = replace(parent[last]!);
  if (replacement === undefined) Reflect.deleteProperty(parent, last);
  else parent[last] = replacement;
  return copy;
}

/** A value of the wrong JSON type for a field whose valid example is `old`. */
function wrongTypeFor(old: Json): Json {
  return typeof old === 'string' ? 12345 : 'not-the-right-type';
}

/**
 * Fields added to a v1 event after it shipped: an event from before them still parses (with
 * the default), so a rolling upgrade drops nothing.
 */
const ADDED_LATER: Readonly<Record<string, Json>> = {
  [`${EventType.userPreferencesChanged}:data.quietHours`]: null,
};

function rejectionOf(value: Json): EventValidationError {
  const result = parseEvent(JSON.stringify(value));
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(value)}`);
  return result.error;
}

describe('event catalogue', () => {
  it('EventType names every catalogue entry exactly once', () => {
    expect([...Object.values(EventType)].sort()).to.deep.equal([...EVENT_TYPES].sort());
  });

  it('has 20 v1 event types, each named tickwatch.<name>.v1', () => {
    expect(EVENT_TYPES).to.have.length(20);
    for (const type of EVENT_TYPES) expect(type).to.equal(`tickwatch.${catalogue[type].name}.v1`);
  });
});

for (const type of EVENT_TYPES) {
  describe(type, () => {
    const event = exampleEvent(type);
    const json = JSON.parse(serializeEvent(event).toString()) as Json;

    it('round-trips a valid example through bytes', () => {
      const result = parseEvent(serializeEvent(event));
      expect(result.ok, result.ok ? '' : result.error.message).to.equal(true);
      expect(result.ok && result.event).to.deep.equal(event);
    });

    it('strips unknown fields in the envelope and the data (rolling upgrades)', () => {
      const extended = withField(
        { ...(json as object), extension: 'x' },
        ['data', 'addedInV2'],
        () => 1,
      );
      const result = parseEvent(JSON.stringify(extended));
      expect(result.ok && result.event).to.deep.equal(event);
    });

    for (const path of fieldPaths(json).filter((p) => p.join('.') !== 'subject')) {
      const dotted = path.join('.');
      const added = `${type}:${dotted}`;
      if (added in ADDED_LATER) {
        it(`accepts it without ${dotted} (added later), as its default`, () => {
          const result = parseEvent(JSON.stringify(withField(json, path, () => undefined)));
          expect(result.ok && result.event).to.deep.equal(
            withField(event as unknown as Json, path, () => ADDED_LATER[added]),
          );
        });
      } else {
        it(`rejects it without ${dotted}, naming the field`, () => {
          const error = rejectionOf(withField(json, path, () => undefined));
          expect(error.message).to.include(dotted);
        });
      }
      it(`rejects it with a mistyped ${dotted}, naming the field`, () => {
        const error = rejectionOf(withField(json, path, wrongTypeFor));
        expect(error.message).to.include(dotted);
      });
    }
  });
}

describe('parseEvent rejections', () => {
  const valid = JSON.parse(serializeEvent(exampleEvent(EventType.priceUpdated)).toString()) as Json;

  it('rejects an unknown event type by name', () => {
    const error = rejectionOf(withField(valid, ['type'], () => 'tickwatch.price.exploded.v1'));
    expect(error.message).to.equal('type: unknown event type "tickwatch.price.exploded.v1"');
  });

  it('rejects non-JSON bytes', () => {
    const result = parseEvent(Buffer.from('{"specversion": "1.0", '));
    expect(result.ok).to.equal(false);
    expect(!result.ok && result.error.message).to.match(/^\(body\): not UTF-8 JSON: /);
  });

  it('rejects bytes that are not UTF-8', () => {
    const result = parseEvent(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d));
    expect(!result.ok && result.error.message).to.match(/^\(body\): not UTF-8 JSON/);
  });

  it('rejects JSON that is not an object', () => {
    const result = parseEvent('[1,2]');
    expect(result.ok).to.equal(false);
    expect(!result.ok && result.error.issues[0]?.path).to.equal('(root)');
  });

  it('rejects a threshold sent as text, the original systems\' "9" > "10" bug', () => {
    const error = rejectionOf(
      withField(
        JSON.parse(serializeEvent(exampleEvent(EventType.ruleCreated)).toString()) as Json,
        ['data', 'rule', 'condition', 'threshold'],
        () => '330',
      ),
    );
    expect(error.issues).to.deep.equal([
      {
        path: 'data.rule.condition.threshold',
        message: 'Invalid input: expected number, received string',
      },
    ]);
  });

  it('rejects a range whose low is not below its high', () => {
    expect(() =>
      createEvent(
        EventType.ruleCreated,
        {
          rule: {
            ...exampleData[EventType.ruleCreated].rule,
            condition: { type: 'OUTSIDE_RANGE', low: 200, high: 150 },
          },
        },
        options,
      ),
    ).to.throw(EventValidationError, 'data.rule.condition.low: low must be below high');
  });

  it('rejects an averages.updated carrying no average, or more than one event may', () => {
    const averages = exampleData[EventType.averagesUpdated].averages;
    const carrying = (count: number) => () =>
      createEvent(
        EventType.averagesUpdated,
        { averages: Array.from({ length: count }, (_, i) => averages[i % averages.length]!) },
        options,
      );
    expect(carrying(0)).to.throw(EventValidationError, 'data.averages: ');
    expect(carrying(MAX_AVERAGES_PER_EVENT + 1)).to.throw(EventValidationError, 'data.averages: ');
    expect(carrying(MAX_AVERAGES_PER_EVENT)).not.to.throw();
  });

  it('rejects an envelope with a non-UTC or unparsable time', () => {
    expect(rejectionOf(withField(valid, ['time'], () => '2026-10-02 20:00')).message).to.match(
      /^time: /,
    );
  });
});

describe('createEvent', () => {
  it('sets the subject to the ticker for per-ticker events and leaves it out otherwise', () => {
    expect(exampleEvent(EventType.priceUpdated).subject).to.equal('AAPL');
    expect(exampleEvent(EventType.ruleCreated).subject).to.equal('AAPL');
    expect(exampleEvent(EventType.userDeleted)).not.to.have.property('subject');
  });

  it('throws naming every bad field, and never returns an invalid event', () => {
    const bad = { ...exampleData[EventType.priceUpdated], price: -1, currency: 'GBp' };
    expect(() => createEvent(EventType.priceUpdated, bad, options)).to.throw(
      EventValidationError,
      /data\.price: .*; data\.currency: a currency is a three-letter upper-case ISO 4217 code/,
    );
  });

  it('keeps a given id and draws a random UUID otherwise', () => {
    const id = '1e6f5c2a-7b3d-4c8e-9f0a-1b2c3d4e5f60';
    expect(createEvent(EventType.userDeleted, { userId: id }, { ...options, id }).id).to.equal(id);
    const a = exampleEvent(EventType.userDeleted);
    const b = exampleEvent(EventType.userDeleted);
    expect(a.id).to.not.equal(b.id);
  });
});
