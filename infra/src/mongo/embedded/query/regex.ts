/**
 * Regular expressions as the server reads them (PCRE, with options i, m, s, x) turned into
 * JavaScript RegExps that match the same strings, or refused with the server's codes:
 * an unknown option is 51108, a pattern that does not compile 51091, a NUL byte BadValue.
 * Translated: the `x` option (whitespace and `#` comments dropped), `\A`, `\z`, `\Z` and
 * `\Q...\E`. PCRE syntax JavaScript lacks (POSIX classes, possessive quantifiers, atomic
 * groups, inline `(?i)`) is refused rather than read differently.
 *
 * Regexes arrive as BSONRegExp values (the wire decoder keeps them exact, so stored regexes go
 * back as they came); `queryRegexes` converts those inside a filter, `$pull` operand or pipeline.
 */
import { setFlagsFromString } from 'node:v8';
import { fail } from '../errors.ts';
import { bsonTypeOf } from '../engine/bson-order.ts';
import { isPlainObject } from '../engine/index-keys.ts';

const VALID_OPTIONS = new Set(['i', 'm', 's', 'x']);

/**
 * A user's regex must not freeze the server (every command runs on the one event loop): past a
 * backtracking budget V8 re-runs such a regex on its linear-time engine, same result. Patterns
 * that engine cannot run (backreferences, lookarounds) still backtrack; see README.
 */
export function protectAgainstRegexBacktracking(): void {
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
}

export function toJsRegExp(pattern: string, options: string): RegExp {
  if (pattern.includes('\0'))
    throw fail('BadValue', 'Regular expression cannot contain an embedded null byte');
  let flags = '';
  for (const option of options) {
    if (!VALID_OPTIONS.has(option))
      throw fail('Location51108', `invalid flag in regex options: ${option}`);
    if (option !== 'x' && !flags.includes(option)) flags += option;
  }
  const source = translate(pattern, options.includes('x'));
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw fail('Location51091', `Regular expression is invalid: ${(error as Error).message}`);
  }
}

const ANCHORS: Readonly<Record<string, string>> = {
  A: '(?<![\\s\\S])',
  z: '(?![\\s\\S])',
  Z: '(?=\\n?(?![\\s\\S]))',
};

function translate(pattern: string, extended: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 1);
        const literal = pattern.slice(i + 1, end < 0 ? undefined : end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 1;
      } else if (!inClass && ANCHORS[next]) {
        out += ANCHORS[next];
      } else {
        out += c + next;
      }
    } else if (inClass) {
      if (c === '[' && pattern[i + 1] === ':')
        throw fail(
          'Location51091',
          'Regular expression is invalid: POSIX classes are not supported',
        );
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === ']' || (pattern[i + 1] === '^' && pattern[i + 2] === ']')) {
        // PCRE reads a `]` right after `[` or `[^` as a literal.
        const literal = pattern[i + 1] === '^' ? '^\\]' : '\\]';
        out += literal;
        i += literal.length - 1;
      }
    } else if (extended && /\s/.test(c)) {
      continue;
    } else if (extended && c === '#') {
      while (i + 1 < pattern.length && pattern[i + 1] !== '\n') i++;
    } else if (c === '(' && pattern[i + 1] === '?' && /^[imsxJUX-]+\)/.test(pattern.slice(i + 2))) {
      throw fail(
        'Location51091',
        'Regular expression is invalid: inline options are not supported',
      );
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * `value` with every regex the server would evaluate as a JS RegExp: BSONRegExp values, and
 * `{$regex, $options}` conditions folded into one RegExp. Plain documents are copied, never
 * changed in place.
 */
export function queryRegexes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(queryRegexes);
  if (bsonTypeOf(value) === 'BSONRegExp') {
    const { pattern, options } = value as { pattern: string; options: string };
    return toJsRegExp(pattern, options);
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$options' && '$regex' in value) continue;
    out[key] = key === '$regex' ? regexOperand(inner, value.$options) : queryRegexes(inner);
  }
  return out;
}

function regexOperand(operand: unknown, options: unknown): RegExp {
  if (options !== undefined && typeof options !== 'string')
    throw fail('BadValue', '$options has to be a string');
  if (typeof operand === 'string') return toJsRegExp(operand, options ?? '');
  if (bsonTypeOf(operand) === 'BSONRegExp') {
    const regex = operand as { pattern: string; options: string };
    if (options !== undefined && regex.options !== '')
      throw fail('Location51075', 'options set in both $regex and $options');
    return toJsRegExp(regex.pattern, options ?? regex.options);
  }
  if (operand instanceof RegExp) return operand;
  throw fail('BadValue', '$regex has to be a string');
}
