import { EventType } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { createLinkSigner } from '@tickwatch/infra/signed-links';
import { expect } from 'chai';
import type { Recipient } from '../recipients/recipients.ts';
import { createEmailComposer } from './compose-email.ts';
import { createLinks } from './links.ts';

const composer = createEmailComposer({
  links: createLinks({
    publicBaseUrl: 'https://alerts.example.com/app',
    signer: createLinkSigner({ key: 'compose-email-test-key-0123456789abcdef' }),
  }),
  messageIdDomain: 'example.com',
  defaultMaxAlertsPerHour: 20,
});
const alert = exampleData[EventType.alertTriggered];
const recipient: Recipient = {
  userId: alert.userId,
  email: 'ada@example.com',
  emailVerified: true,
  timeZone: 'Europe/London',
  alertsUnsubscribed: false,
  webhook: null,
  maxAlertsPerHour: null,
  quietHours: null,
};

describe('email composition', () => {
  it('escapes everything it writes into HTML (and leaves the text body alone)', async () => {
    const hostile = `"<img src=x onerror=alert(1)>"&'@example.com`;
    const mail = await composer.compose(
      { kind: 'ALERT', deliveryId: 'd1', alert },
      { ...recipient, email: hostile },
    );
    expect(mail.html).to.not.include('<img');
    expect(mail.html).to.include(
      '&quot;&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;@example.com',
    );
    expect(mail.text).to.include(hostile);
    // Attribute values are escaped too: no raw quote can end an href.
    for (const [, href] of mail.html.matchAll(/href="([^"]*)"/g)) {
      expect(href).to.match(/^https:\/\/alerts\.example\.com\/app\//);
    }
  });

  it('puts links under the public base URL, a deterministic Message-ID and the one-click headers', async () => {
    const mail = await composer.compose({ kind: 'ALERT', deliveryId: 'd1', alert }, recipient);
    const again = await composer.compose({ kind: 'ALERT', deliveryId: 'd1', alert }, recipient);
    expect(mail.messageId).to.equal(`<${alert.alertId}.email@example.com>`);
    expect(again.messageId).to.equal(mail.messageId);
    expect(mail.headers['List-Unsubscribe']).to.match(
      /^<https:\/\/alerts\.example\.com\/app\/unsubscribe\?token=[\w-]+\.[\w-]+\.[\w-]+>$/,
    );
    expect(mail.headers['List-Unsubscribe-Post']).to.equal('List-Unsubscribe=One-Click');
    expect(mail.text).to.include('Manage this rule: https://alerts.example.com/app/graphql?query=');
  });

  it('writes a digest listing every held-back alert and the cap', async () => {
    const items = [
      { deliveryId: 'c1', alert },
      { deliveryId: 'c2', alert: { ...alert, ticker: 'MSFT', alertId: crypto.randomUUID() } },
    ];
    const mail = await composer.compose(
      { kind: 'DIGEST', deliveryId: 'dg', items },
      {
        ...recipient,
        maxAlertsPerHour: 5,
      },
    );
    expect(mail.subject).to.equal('tickwatch: 2 alerts held back by your hourly cap');
    expect(mail.text).to.include('You receive at most 5 alert emails an hour');
    expect(mail.text).to.include('AAPL rose above 330.00 — now 333.69 USD');
    expect(mail.text).to.include('MSFT rose above 330.00 — now 333.69 USD');
    expect(mail.messageId).to.equal('<dg.digest@example.com>');
  });
});
