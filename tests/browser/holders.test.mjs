// A badge's holders (assign by paste, unassign, search) and the API keys screen.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  useServerAndBrowser, newSiteAndPage, signInWithKey, createBadges, screenshot, holdersOf,
} from './harness.mjs';

const env = useServerAndBrowser();

describe('holders', () => {
  it('assign 3 members by paste, each with its result, then unassign one', async () => {
    const { page, client, apiKey, context } = await newSiteAndPage(env.server, env.browser);
    const [badge] = await createBadges(client, ['Mentor']);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await signInWithKey(page, env.server, apiKey);
    await page.getByRole('link', { name: '0 members' }).click();
    await assert.doesNotReject(page.getByText('Nobody holds this badge yet.').waitFor());

    // Three good ids, one repeated, one that is not an id: each gets its own result.
    await page.getByLabel('Assign to members').fill(`${a}\n${b}, ${c}\n${a}\nnot-a-member`);
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await assert.doesNotReject(page.getByText('Assigned 3 of 5 ids.').waitFor());
    const results = await page.locator('#assign-results tbody tr').evaluateAll((rows) =>
      rows.map((r) => [...r.cells].map((td) => td.innerText.trim())),
    );
    assert.deepEqual(results, [
      [a, 'Assigned'],
      [b, 'Assigned'],
      [c, 'Assigned'],
      [a, 'Listed more than once; see its first line'],
      ['not-a-member', '`memberId` must be a GUID, got "not-a-member"'],
    ]);
    await screenshot(page, 'holders');
    assert.equal(await page.locator('#holder-total').innerText(), '3 members hold this badge.');
    const shown = await page.locator('#holders tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.memberId));
    assert.deepEqual(shown.sort(), [a, b, c].sort());
    assert.deepEqual(await holdersOf(client, badge._id), [a, b, c].sort());

    // Pasting the same ids again: each already holds it.
    await page.getByLabel('Assign to members').fill(`${a} ${b}`);
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await assert.doesNotReject(page.getByText('Assigned 0 of 2 ids.').waitFor());
    assert.deepEqual(await page.locator('#assign-results tbody td:last-child').allInnerTexts(), [
      'Already holds this badge',
      'Already holds this badge',
    ]);

    await page.getByRole('button', { name: `Unassign member ${b}` }).click();
    await assert.doesNotReject(page.getByText(`Took the badge from member ${b}.`).waitFor());
    assert.equal(await page.locator('#holder-total').innerText(), '2 members hold this badge.');
    assert.deepEqual(await holdersOf(client, badge._id), [a, c].sort());

    // Search by member id.
    await page.getByLabel('Find a member by id').fill(c);
    await page.getByRole('button', { name: 'Search' }).click();
    assert.deepEqual(await page.locator('#holders tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.memberId)), [c]);
    await page.getByLabel('Find a member by id').fill(b);
    await page.getByRole('button', { name: 'Search' }).click();
    await assert.doesNotReject(page.getByText('That member does not hold this badge.').waitFor());
    await context.close();
  });

  it('pages through many holders', async () => {
    const { page, client, apiKey, context } = await newSiteAndPage(env.server, env.browser);
    const [badge] = await createBadges(client, ['Crowd']);
    const members = Array.from({ length: 60 }, () => randomUUID());
    await client.badgeAssignments.bulkCreateBadgeAssignments(
      members.map((memberId) => ({ badgeId: badge._id, memberId })),
    );
    await signInWithKey(page, env.server, apiKey);
    await page.goto(`${env.server.baseUrl}/admin/badges/${badge._id}/holders`);
    const firstPage = await page.locator('#holders tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.memberId));
    assert.equal(firstPage.length, 50);
    await page.getByRole('link', { name: 'Next page' }).click();
    const secondPage = await page.locator('#holders tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.memberId));
    assert.equal(secondPage.length, 10);
    assert.deepEqual([...firstPage, ...secondPage].sort(), [...members].sort());
    await page.getByRole('link', { name: 'Previous page' }).click();
    assert.deepEqual(
      await page.locator('#holders tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.memberId)),
      firstPage,
    );
    await context.close();
  });
});

describe('API keys', () => {
  it('creates a key shown once, which works on the API until it is revoked', async () => {
    const { page, siteId, apiKey, context } = await newSiteAndPage(env.server, env.browser);
    await signInWithKey(page, env.server, apiKey);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Read-only').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    await assert.doesNotReject(page.getByText('Copy it now: it is shown only this once.').waitFor());
    const key = await page.getByLabel('The key').inputValue();
    assert.match(key, /^insg_/);
    const id = await page.locator('#new-key-heading code').innerText();
    await screenshot(page, 'api-keys');

    const query = () =>
      fetch(`${env.server.baseUrl}/badges/v4/badges/query`, {
        method: 'POST',
        headers: { Authorization: key, 'wix-site-id': siteId, 'Content-Type': 'application/json' },
        body: '{}',
      });
    assert.equal((await query()).status, 200);

    await page.getByRole('link', { name: 'API keys' }).click();
    assert.equal(await page.getByText(key).count(), 0, 'the key is not shown again');
    assert.equal(await page.locator(`#keys tr[data-key-id="${id}"] td`).nth(1).innerText(), 'Read-only');
    await page.getByRole('button', { name: `Revoke key ${id}` }).click();
    await assert.doesNotReject(page.getByText(`Key ${id} revoked.`).waitFor());
    assert.equal((await query()).status, 401);
    await context.close();
  });
});
