/**
 * The GraphiQL page in a real browser (Debian's chromium driven by playwright-core): it loads
 * from the gateway alone (every request the page makes goes to 127.0.0.1; anything else is
 * blocked and fails the test), opens with the operation of a `?query=` link (the notifier's
 * "manage this rule"), runs it with the token from the headers editor, and shows the result.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { priceUpdated } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { topics } from './live/live-hub.ts';
import { startTestGateway, type TestGateway, type TestUser } from './testing/harness.ts';

const chromiumPath = (() => {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();

describe('GraphiQL in Chromium', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let user: TestUser;
  let browser: Browser;
  const foreign: string[] = [];

  before(async function () {
    if (!chromiumPath)
      throw new Error('chromium is not installed (.ci/run installs it: apt-get install chromium)');
    gw = await startTestGateway();
    user = await gw.register('browser');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser.close();
    await gw.stop();
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage();
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
      foreign.push(url.href);
      return route.abort();
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${gw.url}${path}`);
    await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });
    expect(errors).to.deep.equal([]);
    return page;
  }

  /** The token, as a user pastes it into the headers editor. */
  async function pasteToken(page: Page): Promise<void> {
    await page.getByText('Headers', { exact: true }).click();
    const headers = page.locator('.graphiql-editor-tool .graphiql-editor').last();
    await headers.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${user.accessToken}` }));
  }

  it('opens with the operation of a ?query= link and runs it with the token from the headers editor', async () => {
    const rule = await gw.gql<{ createAlertRule: { id: string } }>(
      'mutation { createAlertRule(input: { ticker: "AAPL", condition: { above: { threshold: 250 } } }) { id } }',
      {},
      user.accessToken,
    );
    const id = rule.data!.createAlertRule.id;
    const query = `query ManageRule { alertRule(id: "${id}") { id ticker status } }`;
    const page = await open(`/graphql?query=${encodeURIComponent(query)}`);
    await page.getByText('ManageRule').first().waitFor();

    await pasteToken(page);
    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response');
    await response
      .getByText('"TICKER_UNKNOWN"')
      .or(response.getByText('"ACTIVE"'))
      .first()
      .waitFor({ timeout: 20_000 });
    expect(await response.textContent()).to.include(id);
    expect(foreign).to.deep.equal([]);
    await page.close();
  });

  it('runs a subscription over graphql-ws with the token from the headers editor', async () => {
    const query = 'subscription Live { priceUpdated(tickers: ["BROWSR"]) { ticker price } }';
    const page = await open(`/graphql?query=${encodeURIComponent(query)}`);
    await page.getByText('Live').first().waitFor();
    await pasteToken(page);
    await page.locator('.graphiql-execute-button').click();
    await pollUntil(
      'the browser subscribed',
      () => gw.gateway.services.live.count(topics.price('BROWSR')) === 1,
    );
    await gw.messaging.publish(priceUpdated('BROWSR', 77.25, new Date()));
    await page.locator('.graphiql-response').getByText('77.25').waitFor({ timeout: 20_000 });
    expect(foreign).to.deep.equal([]);
    await page.close();
  });

  it('opens with the example operations (register, login, thresholds, prices subscription)', async () => {
    const page = await open('/graphql');
    const tabs = await page.locator('.graphiql-tab').allTextContents();
    expect(tabs.join(' '))
      .to.include('Register')
      .and.include('Login')
      .and.include('SetThresholds')
      .and.include('Prices')
      .and.include('MyAlerts');
    expect(foreign).to.deep.equal([]);
    await page.close();
  });
});
