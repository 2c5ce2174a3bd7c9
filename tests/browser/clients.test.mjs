// The admin page's front-end clients screen: create a client with its
// origins, see it listed, revoke it; the token endpoint follows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { useServerAndBrowser, newSiteAndPage, signInWithKey, screenshot } from './harness.mjs';

const env = useServerAndBrowser();

async function anonymousGrant(server, clientId) {
  const res = await fetch(`${server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId, grantType: 'anonymous' }),
  });
  return { status: res.status, body: await res.json() };
}

describe('front-end clients screen', () => {
  it('creates a client for the listed origins, then revokes it', async () => {
    const { page, apiKey, readKey, context } = await newSiteAndPage(env.server, env.browser);
    await signInWithKey(page, env.server, apiKey);
    await page.getByRole('link', { name: 'Front-end clients' }).click();
    await page.waitForURL('**/admin/clients');

    await page.getByLabel('Origins').fill('https://Shop.Example/\nhttp://127.0.0.1:8000');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.waitForURL('**/admin/clients?created=*');
    const row = page.locator('#clients tbody tr').first();
    const clientId = await row.getAttribute('data-client-id');
    await assert.doesNotReject(page.getByText(`Client ${clientId} created.`).waitFor());
    assert.equal(await row.locator('td').nth(1).innerText(), 'https://shop.example http://127.0.0.1:8000');
    assert.equal(await row.locator('td').nth(3).innerText(), 'Active');
    await screenshot(page, 'clients');
    assert.equal((await anonymousGrant(env.server, clientId)).status, 200);

    await page.getByLabel('Origins').fill('ftp://nowhere');
    await page.getByRole('button', { name: 'Create client' }).click();
    await assert.doesNotReject(page.getByText('is not an origin').waitFor());
    await page.goto(`${env.server.baseUrl}/admin/clients`);

    await page.getByRole('button', { name: `Revoke client ${clientId}` }).click();
    await page.waitForURL('**/admin/clients?revoked=*');
    assert.match(await row.locator('td').nth(3).innerText(), /^Revoked /);
    const refused = await anonymousGrant(env.server, clientId);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.details.applicationError.code, 'INVALID_CLIENT');
    await context.close();

    // A read-only session sees the clients but cannot change them.
    const reader = await env.browser.newContext();
    const readPage = await reader.newPage();
    await signInWithKey(readPage, env.server, readKey);
    await readPage.goto(`${env.server.baseUrl}/admin/clients`);
    await assert.doesNotReject(readPage.locator(`#clients tr[data-client-id="${clientId}"]`).waitFor());
    assert.equal(await readPage.getByRole('button', { name: 'Create client' }).count(), 0);
    await reader.close();
  });
});
