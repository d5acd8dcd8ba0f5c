import { expect } from 'chai';
import { EventType } from './catalogue.ts';
import { createEvent, deliveryId, derivedEventId } from './create-event.ts';
import { exampleData } from './examples.ts';
import { partitionOf } from './partition.ts';
import { bindingPattern, parseRoutingKey, routingKey } from './routing.ts';

const options = { source: 'tickwatch/test' };

describe('routingKey', () => {
  it('puts partition and ticker word after the event name for per-ticker events', () => {
    const event = createEvent(EventType.priceUpdated, exampleData[EventType.priceUpdated], options);
    expect(routingKey(event)).to.equal(`price.updated.p${partitionOf('AAPL')}.AAPL`);
  });

  it('makes a dotted ticker one routing word, routed to its partition', () => {
    const data = exampleData[EventType.ruleCreated];
    const event = createEvent(
      EventType.ruleCreated,
      { rule: { ...data.rule, ticker: 'BRK.B' } },
      options,
    );
    expect(routingKey(event)).to.equal(`rule.created.p${partitionOf('BRK.B')}.BRK_B`);
  });

  it('is the event name alone for events without a ticker', () => {
    const event = createEvent(
      EventType.userRegistered,
      exampleData[EventType.userRegistered],
      options,
    );
    expect(routingKey(event)).to.equal('user.registered');
  });

  it('is reversible', () => {
    expect(parseRoutingKey('rule.created.p3.BRK_B')).to.deep.equal({
      name: 'rule.created',
      partition: 3,
      ticker: 'BRK.B',
    });
    expect(parseRoutingKey('user.preferences-changed')).to.deep.equal({
      name: 'user.preferences-changed',
      partition: null,
      ticker: null,
    });
  });
});

describe('bindingPattern', () => {
  it('binds one partition of per-ticker events, with a name pattern', () => {
    expect(bindingPattern('price.updated', 3)).to.equal('price.updated.p3.*');
    expect(bindingPattern('rule.*', 15)).to.equal('rule.*.p15.*');
  });

  it('binds every ticker when no partition is given', () => {
    expect(bindingPattern('alert.triggered')).to.equal('alert.triggered.*.*');
  });

  it('binds events without a ticker by name, and refuses a partition for them', () => {
    expect(bindingPattern('user.deleted')).to.equal('user.deleted');
    expect(() => bindingPattern('user.deleted', 1)).to.throw(RangeError, /no partition/);
    expect(() => bindingPattern('price.updated', 16)).to.throw(RangeError);
  });
});

describe('derivedEventId', () => {
  it('gives the same UUIDv5 for the same type and natural key, in any process', () => {
    const id = derivedEventId(EventType.priceUpdated, ['AAPL', '2026-10-02T20:00:01.000Z']);
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedEventId(EventType.priceUpdated, ['AAPL', '2026-10-02T20:00:01.000Z'])).to.equal(
      id,
    );
    // Pinned: the namespace and the key encoding must never change.
    expect(id).to.equal(PINNED_ID);
  });

  it('differs by type and by key, and cannot be confused by separators inside parts', () => {
    const ids = new Set([
      derivedEventId(EventType.alertTriggered, ['r', 1, 1]),
      derivedEventId(EventType.alertTriggered, ['r', 1, 2]),
      derivedEventId(EventType.alertTriggered, ['r', 11]),
      derivedEventId(EventType.alertTriggered, ['r,1', 1]),
      derivedEventId(EventType.notificationSent, ['r', 1, 1]),
    ]);
    expect(ids.size).to.equal(5);
  });

  it('refuses an empty key', () => {
    expect(() => derivedEventId(EventType.priceUpdated, [])).to.throw(RangeError);
  });
});

describe('deliveryId', () => {
  it('is one stable UUIDv5 per (alert or request id, channel), unlike any event id', () => {
    const alertId = 'a1b2c3d4-e5f6-5a7b-8c9d-0e1f2a3b4c5d';
    const email = deliveryId(alertId, 'EMAIL');
    expect(deliveryId(alertId, 'EMAIL')).to.equal(email);
    expect(deliveryId(alertId, 'WEBHOOK')).to.not.equal(email);
    expect(derivedEventId(EventType.notificationSent, [alertId, 'EMAIL'])).to.not.equal(email);
    // Pinned: the gateway computes it too.
    expect(email).to.equal('654ef507-fedc-549f-b97b-2070269275f6');
  });
});

const PINNED_ID = 'd30be839-d757-54c2-abc5-d49aead4eeb3';
