/**
 * Collations: how strings compare in a command or an index. The server's default, `simple`, is
 * binary order (engine/bson-order.ts compareStrings) and needs nothing here. Beyond it we do the
 * English (`en`) collation at strength 1 (case and accents ignored), 2 (case ignored) and 3 (the
 * server's default strength: case and accents count, but `a` < `A` < `b`), with every other
 * option at its default, which is what case-insensitive lookups and uniqueness need.
 *
 * Order is ICU's, as on mongod (Intl.Collator is ICU). Equality is a documented folding, so
 * that a unique index can hash it, as mongod's indexes store ICU sort keys:
 *  - strength 3: canonical decomposition (NFD), so composed and decomposed accents are equal;
 *  - strength 2: compatibility decomposition (NFKD, so `ﬁ` is `fi`), then full case folding
 *    through upper case (`ß` → `SS` → `ss`), then lower case;
 *  - strength 1: strength 2 without combining marks (`é` is `e`).
 * Strings ICU calls equal but whose foldings differ (characters ICU ignores outright, such as
 * control characters) are ordered by their foldings, so equality is always the folding's.
 *
 * Parsing follows mongod 7 (src/mongo/db/query/collation/collator_factory_icu.cpp
 * makeFromBSON): the spec is read by the strict IDL parser (a missing locale 40414, an unknown
 * field 40415, a wrong type 14, an enumeration value it does not know BadValue 2), then
 * validateLocaleID (an unknown locale BadValue 2) and validateCollationSpec (caseFirst below
 * strength 3, backwards at strength 1: BadValue 2). A well-formed collation we do not
 * implement (another locale, strength 4/5, caseLevel, caseFirst, numericOrdering, alternate
 * `shifted`, normalization, backwards) is NotImplemented (238), never accepted and ignored.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { compareStrings } from '../engine/bson-order.ts';
import { isPlainObject } from '../engine/index-keys.ts';

/** The ICU version mongod 7.0 reports in a collation spec (`version`). */
const ICU_VERSION = '57.1';

/** Locales whose collation and case mapping are the root ones the folding above assumes. */
const ENGLISH = /^en(_(US|GB|AU|CA|NZ|IE|IN|ZA))?$/;

type Strength = 1 | 2 | 3;

const SENSITIVITY = { 1: 'base', 2: 'accent', 3: 'variant' } as const;

/** Defaults of every option, in the order mongod lists them (CollationSpec::toBSON). */
const DEFAULTS = {
  caseLevel: false,
  caseFirst: 'off',
  strength: 3,
  numericOrdering: false,
  alternate: 'non-ignorable',
  maxVariable: 'punct',
  normalization: false,
  backwards: false,
} as const;

type OptionName = keyof typeof DEFAULTS;

/** The values of each enumerated option (collation IDL enums; others are BadValue, 2). */
const ALLOWED_VALUES: Partial<Record<OptionName, readonly string[]>> = {
  caseFirst: ['upper', 'lower', 'off'],
  alternate: ['non-ignorable', 'shifted'],
  maxVariable: ['punct', 'space'],
};

export class Collation {
  readonly locale: string;
  readonly strength: Strength;
  readonly #collator: Intl.Collator;

  constructor(locale: string, strength: Strength) {
    this.locale = locale;
    this.strength = strength;
    this.#collator = new Intl.Collator(locale.replace('_', '-'), {
      usage: 'sort',
      sensitivity: SENSITIVITY[strength],
    });
  }

  /** The spec as mongod reports it (listIndexes): every option filled in. */
  get spec(): Document {
    return { locale: this.locale, ...DEFAULTS, strength: this.strength, version: ICU_VERSION };
  }

  /** Equal exactly for strings this collation calls equal: what hash maps key strings by. */
  readonly key = (value: string): string => {
    if (this.strength === 3) return value.normalize('NFD');
    const folded = value.normalize('NFKD').toUpperCase().toLowerCase().normalize('NFD');
    return this.strength === 2 ? folded : folded.replace(/\p{M}/gu, '');
  };

  readonly compare = (a: string, b: string): number => {
    if (a === b) return 0;
    const [keyA, keyB] = [this.key(a), this.key(b)];
    if (keyA === keyB) return 0;
    return this.#collator.compare(a, b) || compareStrings(keyA, keyB);
  };

  equals(other: Collation | undefined): boolean {
    return other !== undefined && other.locale === this.locale && other.strength === this.strength;
  }
}

/** Whether two collations (undefined = simple) compare strings alike. */
export function sameCollation(a: Collation | undefined, b: Collation | undefined): boolean {
  return a === undefined ? b === undefined : a.equals(b);
}

const parsed = new Map<string, Collation>();

/**
 * The collation a command, statement or index spec carries; undefined for none or `simple`.
 * `where` names the field in errors (`find.collation`).
 */
export function parseCollation(raw: unknown, where: string): Collation | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw instanceof Collation) return raw;
  if (!isPlainObject(raw)) {
    throw fail('TypeMismatch', `BSON field '${where}' is the wrong type, expected type 'object'`);
  }
  const spec = JSON.stringify(raw);
  const locale = raw.locale;
  if (locale === undefined)
    throw fail('Location40414', `BSON field 'collation.locale' is missing but a required field`);
  if (typeof locale !== 'string') throw wrongType('locale', locale, 'string');
  const options = readFields(raw);
  if (locale === 'simple') {
    // Binary comparison has no options: a spec setting some asks for something else.
    if (Object.keys(raw).length > 1)
      throw fail(
        'FailedToParse',
        `If locale=simple, no other fields should be present in: ${spec}`,
      );
    return undefined;
  }
  if (locale === '')
    throw fail('BadValue', `Field 'locale' cannot be the empty string in: ${spec}`);
  if (!ENGLISH.test(locale) && !isKnownLocale(locale))
    throw fail('BadValue', `Field 'locale' is invalid in: ${spec}`);
  checkCombination(raw, options, spec);
  if (!ENGLISH.test(locale)) throw notImplemented(spec, `locale '${locale}'`);
  const strength = options.strength;
  if (strength !== 1 && strength !== 2 && strength !== 3)
    throw notImplemented(spec, `strength ${String(strength)}`);
  for (const name of Object.keys(DEFAULTS) as OptionName[]) {
    if (name !== 'strength' && name !== 'maxVariable' && options[name] !== DEFAULTS[name])
      throw notImplemented(spec, `${name}: ${JSON.stringify(options[name])}`);
  }
  const cacheKey = `${locale}/${String(strength)}`;
  let collation = parsed.get(cacheKey);
  if (!collation) parsed.set(cacheKey, (collation = new Collation(locale, strength)));
  return collation;
}

/** The fields as the strict IDL parser reads them: known names, types, enumeration values. */
function readFields(raw: Document): Record<OptionName, unknown> {
  const options: Record<OptionName, unknown> = { ...DEFAULTS };
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'locale') continue;
    if (name === 'version') {
      if (typeof value !== 'string') throw wrongType(name, value, 'string');
      continue;
    }
    if (!(name in DEFAULTS))
      throw fail('Location40415', `BSON field 'collation.${name}' is an unknown field.`);
    const expected = typeof DEFAULTS[name as OptionName];
    if (expected === 'number') {
      if (typeof value !== 'number' || !Number.isInteger(value))
        throw wrongType(name, value, 'int');
      if (value < 1 || value > 5)
        throw fail(
          'BadValue',
          `BSON field 'collation.strength' value must be between 1 and 5, actual value '${String(value)}'`,
        );
    } else if (typeof value !== expected) {
      throw wrongType(name, value, expected === 'boolean' ? 'bool' : expected);
    }
    const allowed = ALLOWED_VALUES[name as OptionName];
    if (allowed && !allowed.includes(value as string))
      throw fail(
        'BadValue',
        `Enumeration value '${String(value)}' for field 'collation.${name}' is not a valid value.`,
      );
    options[name as OptionName] = value;
  }
  return options;
}

/** The version check and validateCollationSpec's combinations. */
function checkCombination(raw: Document, options: Record<OptionName, unknown>, spec: string) {
  if (raw.version !== undefined && raw.version !== ICU_VERSION)
    throw fail(
      'IncompatibleCollationVersion',
      `Requested collation version ${String(raw.version)} but the only available collator version was ${ICU_VERSION}. Requested collation spec: ${spec}`,
    );
  if (options.backwards === true && options.strength === 1)
    throw fail('BadValue', `'backwards' is invalid with 'strength' of 1 in: ${spec}`);
  const weak = options.strength === 1 || options.strength === 2;
  if (options.caseFirst !== 'off' && options.caseLevel !== true && weak)
    throw fail(
      'BadValue',
      `'caseFirst' is invalid unless 'caseLevel' is on or 'strength' is greater than 2 in: ${spec}`,
    );
}

function wrongType(name: string, value: unknown, expected: string): Error {
  return fail(
    'TypeMismatch',
    `BSON field 'collation.${name}' is the wrong type '${typeof value}', expected type '${expected}'`,
  );
}

function isKnownLocale(locale: string): boolean {
  try {
    return Intl.Collator.supportedLocalesOf([locale.replace(/_/g, '-')]).length > 0;
  } catch {
    return false;
  }
}

function notImplemented(spec: string, what: string): Error {
  return fail(
    'NotImplemented',
    `collation ${spec} is not supported by the embedded MongoDB server (${what}); it implements locale 'simple' and 'en' at strength 1, 2 or 3 with the other options at their defaults`,
  );
}

/** The collation mingo hands an operator in its options (set by compileFilter / pipelines). */
export function collationOf(options: unknown): Collation | undefined {
  const collation = (options as { collation?: unknown } | undefined)?.collation;
  return collation instanceof Collation ? collation : undefined;
}
