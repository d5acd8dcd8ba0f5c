/**
 * What an alert says, in words: the headline ("AAPL rose above 200.00"), the condition, the
 * thresholds, the change, the reference price, times in the user's zone. Pure functions shared
 * by the email templates and the webhook payload, so both say the same thing. The original
 * notifier's email did not say the price or the threshold; every line here does.
 */
import { formatterPerZone } from '@tickwatch/infra/time';
import type { Alert } from './deliveries/delivery-model.ts';

/** One labelled line of an alert's details. */
export interface DetailLine {
  readonly label: string;
  readonly value: string;
}

export interface AlertDescription {
  /** "AAPL rose above 200.00" */
  readonly headline: string;
  /** "AAPL rose above 200.00 — now 201.37 USD": the email subject. */
  readonly summary: string;
  /** Every detail, in reading order: ticker, condition, thresholds, prices, change, times. */
  readonly details: readonly DetailLine[];
}

const priceFormat = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
});
const percentFormat = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 0,
  maximumFractionDigits: 2,
});
const signedPercentFormat = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'always',
});

/** 200 → "200.00", 1234.5 → "1,234.50", 0.000123 → "0.000123". */
export const formatPrice = (value: number): string => priceFormat.format(value);

const money = (value: number, currency: string): string => `${formatPrice(value)} ${currency}`;
const percent = (value: number): string => `${percentFormat.format(value)} %`;
const relative = (value: number, reference: number): number =>
  ((value - reference) / reference) * 100;

/**
 * "Fri, 2 Oct 2026, 21:00:01 GMT+1" in the given IANA zone. The offset rather than a zone
 * abbreviation: no single locale knows both BST and EDT.
 */
const instantFormat = formatterPerZone('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'shortOffset',
});

export function formatInstant(instant: string | Date, timeZone: string): string {
  return instantFormat(timeZone).format(new Date(instant));
}

const FREQUENCY_TEXT: Record<Alert['frequency'], string> = {
  ONCE: 'once (the rule is now complete)',
  ONCE_PER_DAY: 'at most once per exchange trading day',
  EVERY_CROSSING: 'every time the price crosses the threshold',
  WHILE_TRUE: 'repeatedly while the condition holds, at most once per cooldown',
};

interface ConditionWords {
  readonly headline: string;
  readonly condition: string;
  readonly thresholds: readonly DetailLine[];
  /** The price the condition compares with, when it is not a fixed threshold. */
  readonly reference?: DetailLine;
}

/**
 * "rose above" only when this quote crossed the line; "is above" when the price was already past
 * it (a rule created while its condition held, a WHILE_TRUE repeat, no earlier price known).
 */
function position(previousPrice: number | null, line: number, side: 'above' | 'below'): string {
  const crossed =
    previousPrice !== null && (side === 'above' ? previousPrice <= line : previousPrice >= line);
  if (crossed) return side === 'above' ? 'rose above' : 'fell below';
  return `is ${side}`;
}

function conditionWords(alert: Alert): ConditionWords {
  const { ticker, price, previousPrice, currency, condition, referencePrice } = alert;
  const reference = (label: string): DetailLine | undefined =>
    referencePrice === null ? undefined : { label, value: money(referencePrice, currency) };
  switch (condition.type) {
    case 'ABOVE':
      return {
        headline: `${ticker} ${position(previousPrice, condition.threshold, 'above')} ${formatPrice(condition.threshold)}`,
        condition: `price above ${money(condition.threshold, currency)}`,
        thresholds: [{ label: 'Threshold', value: money(condition.threshold, currency) }],
      };
    case 'BELOW':
      return {
        headline: `${ticker} ${position(previousPrice, condition.threshold, 'below')} ${formatPrice(condition.threshold)}`,
        condition: `price below ${money(condition.threshold, currency)}`,
        thresholds: [{ label: 'Threshold', value: money(condition.threshold, currency) }],
      };
    case 'OUTSIDE_RANGE': {
      const range = `${formatPrice(condition.low)}–${formatPrice(condition.high)}`;
      return {
        headline:
          price > condition.high
            ? `${ticker} ${position(previousPrice, condition.high, 'above')} ${formatPrice(condition.high)}, out of its ${range} range`
            : `${ticker} ${position(previousPrice, condition.low, 'below')} ${formatPrice(condition.low)}, out of its ${range} range`,
        condition: `price outside ${range} ${currency}`,
        thresholds: [
          { label: 'Low threshold', value: money(condition.low, currency) },
          { label: 'High threshold', value: money(condition.high, currency) },
        ],
      };
    }
    case 'PERCENT_CHANGE': {
      const direction = { UP: 'up', DOWN: 'down', EITHER: 'up or down' }[condition.direction];
      const moved =
        referencePrice === null
          ? `${ticker} moved ${percent(condition.percent)} or more`
          : `${ticker} ${price >= referencePrice ? 'rose' : 'fell'} ${percent(
              Math.abs(relative(price, referencePrice)),
            )} since the previous close`;
      return {
        headline: moved,
        condition: `price moves ${percent(condition.percent)} ${direction} from the previous close`,
        thresholds: [{ label: 'Change threshold', value: percent(condition.percent) }],
        ...optional('reference', reference('Previous close')),
      };
    }
    case 'MOVING_AVERAGE_DEVIATION': {
      const window = `${condition.windowMinutes}-minute average`;
      const deviation =
        referencePrice === null
          ? `${ticker} deviates ${percent(condition.tolerancePercent)} or more from its ${window}`
          : `${ticker} is ${percent(Math.abs(relative(price, referencePrice)))} ${
              price >= referencePrice ? 'above' : 'below'
            } its ${window}`;
      return {
        headline: deviation,
        condition: `price deviates ${percent(condition.tolerancePercent)} or more from its ${window}`,
        thresholds: [{ label: 'Tolerance', value: percent(condition.tolerancePercent) }],
        ...optional('reference', reference(capitalise(window))),
      };
    }
    case 'AVERAGE_MOVE': {
      const window = `${condition.windowMinutes}-minute average`;
      return {
        headline: `${ticker}'s ${window} moved ${percent(condition.tolerancePercent)} or more`,
        condition: `the ${window} moves ${percent(condition.tolerancePercent)} or more`,
        thresholds: [{ label: 'Tolerance', value: percent(condition.tolerancePercent) }],
        ...optional('reference', reference(`Previous ${window}`)),
      };
    }
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** The change from the previous price: "+1.57 USD (+0.79 %)". */
function change(alert: Alert): string | undefined {
  if (alert.previousPrice === null) return undefined;
  const difference = alert.price - alert.previousPrice;
  const sign = difference > 0 ? '+' : difference < 0 ? '−' : '±';
  return `${sign}${money(Math.abs(difference), alert.currency)} (${signedPercentFormat.format(
    relative(alert.price, alert.previousPrice),
  )} %)`;
}

/** "real time", or how late the source publishes this exchange's quotes. */
export function describeDelay(delayMinutes: number): string {
  if (delayMinutes === 0) return 'real time';
  return `delayed by the source about ${delayMinutes} minute${delayMinutes === 1 ? '' : 's'}`;
}

export function describeAlert(alert: Alert, timeZone: string): AlertDescription {
  const words = conditionWords(alert);
  const changed = change(alert);
  const details: DetailLine[] = [
    { label: 'Ticker', value: alert.ticker },
    { label: 'Condition', value: capitalise(words.condition) },
    ...words.thresholds,
    { label: 'Price', value: money(alert.price, alert.currency) },
    {
      label: 'Previous price',
      value:
        alert.previousPrice === null
          ? 'none (first quote)'
          : money(alert.previousPrice, alert.currency),
    },
    ...(changed ? [{ label: 'Change', value: changed }] : []),
    ...(words.reference ? [words.reference] : []),
    { label: 'Market time', value: `${formatInstant(alert.marketTime, timeZone)} (${timeZone})` },
    { label: 'Quote delay', value: capitalise(describeDelay(alert.delayMinutes)) },
    { label: 'Alert frequency', value: capitalise(FREQUENCY_TEXT[alert.frequency]) },
  ];
  return {
    headline: words.headline,
    summary: `${words.headline} — now ${money(alert.price, alert.currency)}`,
    details,
  };
}
