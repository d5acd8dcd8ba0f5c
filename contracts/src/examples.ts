/**
 * One valid payload per event type: the asyncapi.yaml examples, and sample data for tests in
 * every workspace (`@tickwatch/contracts/examples`). Real-looking values (AAPL's close on
 * 2026-10-02 from Yahoo's recorded quote).
 */
import type { EventData, EventType } from './catalogue.ts';
import type { Rule } from './schemas/rule.ts';

const userId = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';
const ruleId = '6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const alertId = 'a1b2c3d4-e5f6-5a7b-8c9d-0e1f2a3b4c5d';

export const exampleRule: Rule = {
  id: ruleId,
  userId,
  ticker: 'AAPL',
  condition: { type: 'ABOVE', threshold: 330 },
  frequency: 'EVERY_CROSSING',
  cooldownSeconds: 1800,
  hysteresisPercent: 0.5,
  expiresAt: null,
  paused: false,
  channels: ['EMAIL'],
  version: 1,
  createdAt: '2026-10-01T09:00:00.000Z',
  updatedAt: '2026-10-01T09:00:00.000Z',
};

export const exampleData: { readonly [T in EventType]: EventData<T> } = {
  'tickwatch.user.registered.v1': {
    userId,
    email: 'ada@example.com',
    emailVerified: false,
    timeZone: 'Europe/London',
  },
  'tickwatch.user.preferences-changed.v1': {
    userId,
    version: 2,
    email: 'ada@example.com',
    emailVerified: true,
    timeZone: 'Europe/London',
    alertsUnsubscribed: false,
    webhookUrl: 'https://hooks.example.com/tickwatch',
    webhookSecret: 'whsec_5d0c1b7f9e2a4c6b8d3f',
    maxAlertsPerHour: 20,
    quietHours: { start: '22:00', end: '07:00' },
  },
  'tickwatch.user.deleted.v1': { userId },
  'tickwatch.account.verification-requested.v1': {
    userId,
    email: 'ada@example.com',
    link: 'https://tickwatch.example.com/verify-email?token=eyJhbGciOiJIUzI1NiJ9.e30.sig',
    expiresAt: '2026-10-03T09:00:00.000Z',
    timeZone: 'Europe/London',
  },
  'tickwatch.account.password-reset-requested.v1': {
    userId,
    email: 'ada@example.com',
    link: 'https://tickwatch.example.com/reset-password?token=eyJhbGciOiJIUzI1NiJ9.e30.sig',
    expiresAt: '2026-10-02T10:00:00.000Z',
    timeZone: 'Europe/London',
  },
  'tickwatch.account.email-change-requested.v1': {
    userId,
    email: 'ada.lovelace@example.org',
    link: 'https://tickwatch.example.com/confirm-email?token=eyJhbGciOiJIUzI1NiJ9.e30.sig',
    expiresAt: '2026-10-03T09:00:00.000Z',
    timeZone: 'Europe/London',
  },
  'tickwatch.account.registration-attempted.v1': {
    userId,
    email: 'ada@example.com',
    link: 'https://tickwatch.example.com/reset-password?token=eyJhbGciOiJIUzI1NiJ9.e30.sig',
    expiresAt: '2026-10-02T10:00:00.000Z',
    timeZone: 'Europe/London',
  },
  'tickwatch.rule.created.v1': { rule: exampleRule },
  'tickwatch.rule.updated.v1': {
    rule: { ...exampleRule, paused: true, version: 2, updatedAt: '2026-10-02T09:00:00.000Z' },
  },
  'tickwatch.rule.deleted.v1': {
    rule: { ...exampleRule, version: 3, updatedAt: '2026-10-03T09:00:00.000Z' },
  },
  'tickwatch.watch.added.v1': {
    watchId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
    userId,
    ticker: 'BRK.B',
  },
  'tickwatch.watch.removed.v1': {
    watchId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
    userId,
    ticker: 'BRK.B',
  },
  'tickwatch.price.updated.v1': {
    ticker: 'AAPL',
    price: 333.69,
    currency: 'USD',
    exchange: 'NMS',
    exchangeTimeZone: 'America/New_York',
    marketState: 'CLOSED',
    marketTime: '2026-10-02T20:00:01.000Z',
    delayMinutes: 0,
    previousClose: 330.32,
    dayLow: 330.61,
    dayHigh: 334.54,
    volume: 31878433,
    source: 'yahoo',
  },
  'tickwatch.ticker.rejected.v1': {
    ticker: 'NOPE.L',
    reason: 'UNKNOWN_SYMBOL',
    detail: 'Yahoo returned no quote for NOPE.L',
    source: 'yahoo',
    rejectedAt: '2026-10-02T20:00:03.000Z',
  },
  'tickwatch.interest.renewed.v1': {
    ticker: 'MSFT',
    holder: 'gateway:7f3a9c2e',
    expiresAt: '2026-10-02T20:02:00.000Z',
  },
  'tickwatch.averages.updated.v1': {
    averages: [
      {
        ticker: 'AAPL',
        windowMinutes: 5,
        average: 333.12,
        previousAverage: 332.95,
        sampleCount: 5,
        marketTime: '2026-10-02T20:00:01.000Z',
      },
      {
        ticker: 'AAPL',
        windowMinutes: 15,
        average: 332.4,
        previousAverage: 332.31,
        sampleCount: 15,
        marketTime: '2026-10-02T20:00:01.000Z',
      },
    ],
  },
  'tickwatch.alert.triggered.v1': {
    alertId,
    ruleId,
    ruleVersion: 1,
    sequence: 1,
    userId,
    ticker: 'AAPL',
    condition: { type: 'ABOVE', threshold: 330 },
    frequency: 'EVERY_CROSSING',
    price: 333.69,
    previousPrice: 329.8,
    referencePrice: null,
    currency: 'USD',
    marketTime: '2026-10-02T20:00:01.000Z',
    quotePublishedAt: '2026-10-02T20:00:01.870Z',
    triggeredAt: '2026-10-02T20:00:02.125Z',
    delayMinutes: 0,
    channels: ['EMAIL'],
  },
  'tickwatch.notification.requested.v1': {
    requestId: '3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b',
    userId,
    channels: ['EMAIL'],
  },
  'tickwatch.notification.sent.v1': {
    deliveryId: 'f0e1d2c3-b4a5-5968-8778-695a4b3c2d1e',
    alertId,
    userId,
    channel: 'EMAIL',
    attempts: 1,
    messageId: '<a1b2c3d4-e5f6-5a7b-8c9d-0e1f2a3b4c5d.email@tickwatch>',
  },
  'tickwatch.notification.failed.v1': {
    deliveryId: 'f0e1d2c3-b4a5-5968-8778-695a4b3c2d1e',
    alertId,
    userId,
    channel: 'EMAIL',
    attempts: 3,
    code: 'SMTP_ERROR',
    reason: '421 4.7.0 Try again later',
    permanent: false,
  },
};
