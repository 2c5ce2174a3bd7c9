// Signing in and out, read-only sessions, and forged forms.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import {
  useServerAndBrowser, newSiteAndPage, signInWithKey, loginLink, createBadges, apiOrder, screenshot,
  postFromPage, holdersOf,
} from './harness.mjs';

const env = useServerAndBrowser();

describe('sign in', () => {
  it('with a pasted manage key, then out again', async () => {
    const { page, siteId, apiKey, context } = await newSiteAndPage(env.server, env.browser);
    await page.goto(`${env.server.baseUrl}/admin/badges`);
    await page.waitForURL('**/admin/signin');
    await screenshot(page, 'sign-in');

    await page.getByLabel('API key').fill('insg_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await assert.doesNotReject(page.getByText('This key is unknown, revoked, or has no badge scope.').waitFor());

    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/admin/badges');
    await assert.doesNotReject(page.locator('header').getByText(siteId).waitFor());
    assert.equal(await page.getByText('Read-only').count(), 0);

    const cookie = (await context.cookies()).find((c) => c.name === 'insignia_admin');
    assert.ok(cookie, 'a session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(cookie.expires > Date.now() / 1000, 'the cookie has an expiry');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/admin/signin?signed_out=1');
    await assert.doesNotReject(page.getByText('You are signed out.').waitFor());
    await page.goto(`${env.server.baseUrl}/admin/badges`);
    await page.waitForURL('**/admin/signin');
    await context.close();
  });

  it('with a one-time link from `insignia admin login-link`, which works once', async () => {
    const { page, siteId, context } = await newSiteAndPage(env.server, env.browser);
    const link = await loginLink(env.server, siteId);
    await page.goto(link);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL('**/admin/badges');
    await assert.doesNotReject(page.locator('header').getByText(siteId).waitFor());

    const other = await env.browser.newContext();
    const second = await other.newPage();
    await second.goto(link);
    await second.getByRole('button', { name: 'Continue' }).click();
    await assert.doesNotReject(second.getByText('was used already').waitFor());
    await second.goto(`${env.server.baseUrl}/admin/badges`);
    await second.waitForURL('**/admin/signin');
    await other.close();
    await context.close();
  });
});

describe('a read-only key', () => {
  it('shows the badges but offers no change, and the server refuses changes anyway', async () => {
    const { page, client, readKey, context } = await newSiteAndPage(env.server, env.browser);
    const [first, second] = await createBadges(client, ['Gold', 'Silver']);
    await signInWithKey(page, env.server, readKey);

    await assert.doesNotReject(page.locator('header').getByText('Read-only').waitFor());
    assert.deepEqual(await page.locator('#badge-list li .badge-chip').allInnerTexts(), ['Gold', 'Silver']);
    assert.equal(await page.getByRole('link', { name: 'New badge' }).count(), 0);
    assert.equal(await page.locator('#badge-list form').count(), 0, 'no move forms');
    assert.equal(await page.getByRole('link', { name: /Delete/ }).count(), 0);
    assert.equal(await page.locator('#badge-list li[draggable="true"]').count(), 0);
    await screenshot(page, 'read-only-list');

    await page.getByRole('link', { name: 'View Gold' }).click();
    assert.equal(await page.getByLabel('Title', { exact: true }).isDisabled(), true, 'fields are disabled');
    assert.equal(await page.getByRole('button', { name: 'Save changes' }).count(), 0);
    await page.goto(`${env.server.baseUrl}/admin/badges/${first._id}/holders`);
    assert.equal(await page.getByLabel('Assign to members').count(), 0);
    await page.goto(`${env.server.baseUrl}/admin/keys`);
    assert.equal(await page.getByRole('button', { name: 'Create key' }).count(), 0);

    // The page's own CSRF token is valid; the server still refuses every change.
    const csrf = await page.locator('body').getAttribute('data-csrf');
    const attempts = [
      ['/admin/badges/new', { csrf, title: 'Sneaky' }],
      [`/admin/badges/${first._id}/edit`, { csrf, title: 'Renamed', revision: '1' }],
      [`/admin/badges/${second._id}/move`, { csrf, after: '' }],
      [`/admin/badges/${first._id}/delete`, { csrf }],
      [`/admin/badges/${first._id}/holders`, { csrf, memberIds: crypto.randomUUID() }],
      ['/admin/keys', { csrf, scope: 'manage' }],
    ];
    for (const [url, fields] of attempts) {
      const res = await postFromPage(page, url, fields);
      assert.equal(res.status, 403, `${url} refused`);
      assert.match(res.text, /read-only key/);
    }
    assert.deepEqual(await apiOrder(client), ['Gold', 'Silver']);
    const gold = await client.badgesV2.getBadge(first._id);
    assert.equal(gold.title, 'Gold');
    assert.equal(gold.revision, '1');
    assert.deepEqual(await holdersOf(client, first._id), []);
    await context.close();
  });
});

describe('CSRF', () => {
  it('a form posted from another origin with a forged token changes nothing', async () => {
    const { page, client, apiKey, context } = await newSiteAndPage(env.server, env.browser);
    const [badge] = await createBadges(client, ['Keep me']);
    await signInWithKey(page, env.server, apiKey);

    // Another origin on the same host is the same *site*, so the SameSite
    // cookie is sent: only the CSRF token stands in the way.
    const forgeries = [
      { action: `${env.server.baseUrl}/admin/badges/new`, fields: { title: 'Pwned', csrf: 'forged-token' } },
      { action: `${env.server.baseUrl}/admin/badges/${badge._id}/delete`, fields: { csrf: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } },
      { action: `${env.server.baseUrl}/admin/badges/${badge._id}/delete`, fields: {} },
    ];
    const attacker = http.createServer((req, res) => {
      const i = Number(new URL(req.url, 'http://x').searchParams.get('i'));
      const { action, fields } = forgeries[i];
      const inputs = Object.entries(fields)
        .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
        .join('');
      res.setHeader('Content-Type', 'text/html');
      res.end(`<form id="f" method="post" action="${action}">${inputs}</form>
        <script>document.getElementById('f').submit()</script>`);
    });
    await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      for (let i = 0; i < forgeries.length; i += 1) {
        const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(env.server.baseUrl));
        await page.goto(`http://127.0.0.1:${attacker.address().port}/?i=${i}`);
        const answer = await response;
        assert.equal(answer.status(), 403, `forgery ${i} refused`);
        await assert.doesNotReject(page.getByText('This form was not sent from this admin page').waitFor());
      }
    } finally {
      attacker.close();
    }
    assert.deepEqual(await apiOrder(client), ['Keep me']);
    await context.close();
  });
});
