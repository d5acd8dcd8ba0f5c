import { randomUUID } from 'node:crypto';
import { EventType, type EventData } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { describeOnMongoTargets } from '@tickwatch/infra/messaging/testing';
import { expect } from 'chai';
import { createRecipients, recipientModel } from './recipients.ts';

type Preferences = EventData<typeof EventType.userPreferencesChanged>;

describeOnMongoTargets('recipients projection', (target) => {
  const recipients = () => createRecipients(recipientModel(target.connection()));
  const preferences = (userId: string, version: number, email: string): Preferences => ({
    ...exampleData[EventType.userPreferencesChanged],
    userId,
    version,
    email,
  });

  it('applies the newest preferences whatever the order, and a repeat changes nothing', async () => {
    const userId = randomUUID();
    const projection = recipients();
    expect(
      await projection.preferencesChanged(preferences(userId, 3, 'three@example.com')),
    ).to.equal('applied');
    expect(await projection.preferencesChanged(preferences(userId, 2, 'two@example.com'))).to.equal(
      'stale',
    );
    expect(
      await projection.preferencesChanged(preferences(userId, 3, 'three@example.com')),
    ).to.equal('stale');
    // Registration (version 0) arriving late does not overwrite anything.
    expect(
      await projection.registered({
        userId,
        email: 'first@example.com',
        emailVerified: false,
        timeZone: 'UTC',
      }),
    ).to.equal('stale');
    const found = await projection.lookup(userId);
    expect(found.kind === 'known' && found.recipient).to.deep.include({
      email: 'three@example.com',
      emailVerified: true,
      timeZone: 'Europe/London',
      webhook: { url: 'https://hooks.example.com/tickwatch', secret: 'whsec_5d0c1b7f9e2a4c6b8d3f' },
      maxAlertsPerHour: 20,
    });
  });

  it('creates a recipient from user.registered, without a cap of its own', async () => {
    const userId = randomUUID();
    const projection = recipients();
    expect(
      await projection.registered({
        userId,
        email: 'new@example.com',
        emailVerified: false,
        timeZone: 'Asia/Tokyo',
      }),
    ).to.equal('applied');
    const found = await projection.lookup(userId);
    expect(found.kind === 'known' && found.recipient).to.deep.equal({
      userId,
      email: 'new@example.com',
      emailVerified: false,
      timeZone: 'Asia/Tokyo',
      alertsUnsubscribed: false,
      webhook: null,
      maxAlertsPerHour: null,
      quietHours: null,
    });
  });

  it('keeps a deleted user deleted: personal data gone, later events ignored', async () => {
    const userId = randomUUID();
    const projection = recipients();
    await projection.preferencesChanged(preferences(userId, 1, 'gone@example.com'));
    await projection.deleted(userId);
    await projection.deleted(userId); // a repeat is harmless
    expect(
      await projection.preferencesChanged(preferences(userId, 9, 'back@example.com')),
    ).to.equal('stale');
    expect(
      await projection.registered({
        userId,
        email: 'back@example.com',
        emailVerified: true,
        timeZone: 'UTC',
      }),
    ).to.equal('stale');
    expect(await projection.lookup(userId)).to.deep.equal({ kind: 'deleted' });
    const stored = await recipientModel(target.connection()).findById(userId).lean();
    expect(Object.keys(stored ?? {}).sort()).to.deep.equal(
      ['_id', 'deleted', 'deletedAt', 'updatedAt', 'version'].sort(),
    );
    // Deleted before anything else arrived: the tombstone is there all the same.
    const unseen = randomUUID();
    await projection.deleted(unseen);
    expect(await projection.lookup(unseen)).to.deep.equal({ kind: 'deleted' });
    expect(await projection.lookup(randomUUID())).to.deep.equal({ kind: 'unknown' });
  });
});
