// Protected pages: protect a page with a badge, and check members with the check tool.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { useServerAndBrowser, newSiteAndPage, signInWithKey, screenshot } from './harness.mjs';

const env = useServerAndBrowser();

/** Calls Insignia's API with the site's key. */
async function api(site, method, path, body) {
  const res = await fetch(`${env.server.baseUrl}${path}`, {
    method,
    headers: { Authorization: site.apiKey, 'wix-site-id': site.siteId, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(res.status, 200, `${method} ${path}: ${res.status}`);
  return res.json();
}

/** Runs the check tool and returns what it shows. */
async function checkInPage(page, member, path) {
  await page.getByLabel('Member id').fill(member);
  await page.getByLabel(/^Page/).fill(path);
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  const result = page.locator('#check-result');
  await result.waitFor();
  return {
    allowed: await result.getAttribute('data-allowed'),
    reason: await result.getAttribute('data-reason'),
    text: (await result.innerText()).replace(/\s+/g, ' '),
  };
}

describe('protected pages', () => {
  it('protect a page and check a member', async () => {
    const site = await newSiteAndPage(env.server, env.browser);
    const { page, client, apiKey, context } = site;
    const staff = await client.badgesV2.createBadge({
      title: 'Staff', backgroundColor: '#1D4ED8', textColor: '#FFFFFF', permissionsEnabled: true,
    });
    await client.badgesV2.createBadge({ title: 'Visitor', backgroundColor: '#374151', textColor: '#FFFFFF' });
    const [holder, stranger] = [randomUUID(), randomUUID()];
    const assigned = await api(site, 'POST', '/badges/v4/badge-assignments', {
      badgeAssignment: { badgeId: staff._id, memberId: holder },
    });

    await signInWithKey(page, env.server, apiKey);
    await page.getByRole('link', { name: 'Protected pages' }).click();
    await assert.doesNotReject(page.getByText('No page is protected yet.').waitFor());

    // A path without its leading slash: the API's own error, inline, nothing saved.
    await page.getByLabel('Path', { exact: true }).fill('staff');
    await page.getByRole('button', { name: 'Protect page' }).click();
    await assert.doesNotReject(page.locator('#field-path-error').getByText('must be a path starting with `/`').waitFor());
    assert.deepEqual((await api(site, 'POST', '/insignia/v1/pages/query', {})).pages, []);

    await page.getByLabel('Path', { exact: true }).fill('/staff/');
    await page.getByLabel('Title (optional)').fill('Staff area');
    await page.getByRole('checkbox', { name: 'Staff' }).check();
    await page.getByRole('button', { name: 'Protect page' }).click();
    await assert.doesNotReject(page.getByText('/staff is protected.').waitFor());
    const row = page.locator('#pages tr[data-path="/staff"]');
    assert.equal((await row.locator('td').nth(1).innerText()).trim(), 'Staff area');
    assert.equal((await row.locator('.badge-chip').innerText()).trim(), 'Staff');
    const [saved] = (await api(site, 'POST', '/insignia/v1/pages/query', {})).pages;
    assert.deepEqual([saved.path, saved.badgeIds], ['/staff', [staff._id]]);

    // The holder may open a page below it; a stranger may not, and the tool says which badge would do.
    const allowed = await checkInPage(page, holder, '/staff/rota');
    assert.deepEqual([allowed.allowed, allowed.reason], ['true', 'HOLDS_GRANTING_BADGE']);
    assert.match(allowed.text, /Allowed/);
    assert.match(allowed.text, /Let in by: Staff/);
    await screenshot(page, 'protected-pages');
    const refused = await checkInPage(page, stranger, '/staff/rota');
    assert.deepEqual([refused.allowed, refused.reason], ['false', 'NO_GRANTING_BADGE']);
    assert.match(refused.text, /Refused/);
    assert.match(refused.text, /Badges that would let a member in: Staff/);
    const open = await checkInPage(page, stranger, '/staffroom');
    assert.deepEqual([open.allowed, open.reason], ['true', 'NOT_PROTECTED']);

    // The API agrees, and an unassigned member is refused at the very next check.
    const viaApi = await api(site, 'POST', '/insignia/v1/access/check', { memberId: holder, pages: ['/staff/rota'] });
    assert.equal(viaApi.results[0].allowed, true);
    await api(site, 'DELETE', `/badges/v4/badge-assignments/${assigned.badgeAssignment.id}`);
    const after = await checkInPage(page, holder, '/staff/rota');
    assert.deepEqual([after.allowed, after.reason], ['false', 'NO_GRANTING_BADGE']);

    // Not a member id: said so, no check made.
    await page.getByLabel('Member id').fill('nobody');
    await page.getByLabel(/^Page/).fill('/staff');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await assert.doesNotReject(page.locator('#check-result').getByText('is not a member id').waitFor());

    // Removing the page opens it to everyone.
    await page.getByRole('button', { name: 'Stop protecting /staff' }).click();
    await assert.doesNotReject(page.getByText('/staff is no longer protected.').waitFor());
    assert.deepEqual((await api(site, 'POST', '/insignia/v1/pages/query', {})).pages, []);
    await context.close();
  });
});
