// The badges screen: create, reorder (drag and keyboard), stale edits, delete.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  useServerAndBrowser, newSiteAndPage, signInWithKey, createBadges, apiOrder, pageOrder, screenshot, holdersOf,
} from './harness.mjs';

const env = useServerAndBrowser();

// A 16×16 star, inline so the page needs no network.
const ICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path fill="gold" d="M8 1l2 5h5l-4 3 2 6-5-4-5 4 2-6-4-3h5z"/></svg>',
  );

/** The field violations the API answers for a V4 create with `badge`. */
async function apiViolations(site, badge) {
  const res = await fetch(`${env.server.baseUrl}/badges/v4/badges`, {
    method: 'POST',
    headers: { Authorization: site.apiKey, 'wix-site-id': site.siteId, 'Content-Type': 'application/json' },
    body: JSON.stringify({ badge }),
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  return body.details.validationError.fieldViolations.map((v) => v.description).sort();
}

describe('create a badge', () => {
  it('shows the API’s errors inline, previews it live, and the new badge is in the list and the API', async () => {
    const site = await newSiteAndPage(env.server, env.browser);
    const { page, client, apiKey, context } = site;
    await signInWithKey(page, env.server, apiKey);
    await page.getByRole('link', { name: 'New badge' }).click();

    // Invalid input: the same messages as the API, and nothing is created.
    await page.getByLabel('Background colour', { exact: true }).fill('blue');
    await page.getByRole('button', { name: 'Create badge' }).click();
    const inline = (await page.locator('.field .error').allInnerTexts()).sort();
    assert.deepEqual(inline, await apiViolations(site, { title: '', backgroundColor: 'blue', textColor: '#FFFFFF' }));
    assert.equal(inline.length, 2);
    assert.deepEqual(await apiOrder(client), []);

    // Live preview and the contrast warning.
    await page.getByLabel('Title', { exact: true }).fill('Early Bird');
    await page.getByLabel('Description').fill('Joined in the first week');
    await page.getByLabel('Background colour', { exact: true }).fill('#FFFF00');
    await page.getByLabel('Text colour', { exact: true }).fill('#FFFFFF');
    const preview = page.locator('#badge-preview');
    assert.equal(await preview.innerText(), 'Early Bird');
    assert.equal(await preview.evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(255, 255, 0)');
    await assert.doesNotReject(page.getByText(/Low contrast: text and background are 1\.07:1/).waitFor());
    await page.getByLabel('Text colour', { exact: true }).fill('#1D1D2C');
    await page.locator('#contrast-warning').waitFor({ state: 'hidden' });
    await page.getByLabel('Text colour', { exact: true }).fill('#D0D0D0');
    await page.locator('#contrast-warning').waitFor({ state: 'visible' });
    await page.getByLabel('Icon URL').fill(ICON);
    await page.locator('#preview-icon').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#preview-icon').evaluate((img) => img.complete && img.naturalWidth > 0), true);
    await page.getByLabel('Members holding this badge get its page permissions').check();
    await page.getByLabel('Text colour', { exact: true }).fill('#1D1D2C');

    await page.getByRole('button', { name: 'Create badge' }).click();
    await page.waitForURL(/\/admin\/badges\/[0-9a-f-]{36}\/edit\?saved=created$/);
    await assert.doesNotReject(page.getByText('Badge created.').waitFor());
    // The stored badge in the editor, with a low-contrast colour typed but not saved.
    await page.getByLabel('Text colour', { exact: true }).fill('#F0E060');
    await page.locator('#contrast-warning').waitFor({ state: 'visible' });
    await screenshot(page, 'badge-editor');

    await page.getByRole('link', { name: 'Badges', exact: true }).click();
    assert.deepEqual(await pageOrder(page), ['Early Bird']);
    const [listed] = (await client.badgesV2.queryBadges().find()).items;
    assert.equal(listed.title, 'Early Bird');
    assert.equal(listed.description, 'Joined in the first week');
    assert.equal(listed.backgroundColor, '#FFFF00');
    assert.equal(listed.textColor, '#1D1D2C');
    assert.equal(listed.icon?.url ?? listed.icon, ICON);
    assert.equal(listed.permissionsEnabled, true);
    await context.close();
  });
});

describe('reorder', () => {
  it('by dragging a row, then by keyboard; the API reports each new order', async () => {
    const { page, client, apiKey, context } = await newSiteAndPage(env.server, env.browser);
    await createBadges(client, ['Alpha', 'Bravo', 'Charlie', 'Delta']);
    await signInWithKey(page, env.server, apiKey);
    assert.deepEqual(await pageOrder(page), ['Alpha', 'Bravo', 'Charlie', 'Delta']);

    // Drag Delta to the top.
    const row = (title) => page.locator('#badge-list li', { has: page.locator('.badge-chip', { hasText: title }) });
    await row('Delta').dragTo(row('Alpha'), { targetPosition: { x: 20, y: 2 } });
    await assert.doesNotReject(page.getByText('Moved “Delta” to position 1.').waitFor());
    assert.deepEqual(await pageOrder(page), ['Delta', 'Alpha', 'Bravo', 'Charlie']);
    assert.deepEqual(await apiOrder(client), ['Delta', 'Alpha', 'Bravo', 'Charlie']);
    await screenshot(page, 'badges');

    // Keyboard only: focus Delta's "Move down" button and press Enter, twice.
    await page.getByRole('button', { name: 'Move down: Delta' }).focus();
    await page.keyboard.press('Enter');
    await assert.doesNotReject(page.getByText('Moved “Delta” to position 2.').waitFor());
    // Focus comes back to the same button, so Enter again moves it further.
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Move down: Delta');
    await page.keyboard.press('Enter');
    await assert.doesNotReject(page.getByText('Moved “Delta” to position 3.').waitFor());
    assert.deepEqual(await pageOrder(page), ['Alpha', 'Bravo', 'Delta', 'Charlie']);
    assert.deepEqual(await apiOrder(client), ['Alpha', 'Bravo', 'Delta', 'Charlie']);

    // And back up, by keyboard, to the front.
    await page.getByRole('button', { name: 'Move up: Bravo' }).focus();
    await page.keyboard.press('Enter');
    await assert.doesNotReject(page.getByText('Moved “Bravo” to position 1.').waitFor());
    assert.deepEqual(await apiOrder(client), ['Bravo', 'Alpha', 'Delta', 'Charlie']);
    await context.close();
  });
});

describe('edit', () => {
  it('with a stale revision says so, keeps the edits, saves nothing, and reload shows the current badge', async () => {
    const { page, client, apiKey, context } = await newSiteAndPage(env.server, env.browser);
    const [badge] = await createBadges(client, ['Helper']);
    await signInWithKey(page, env.server, apiKey);
    await page.getByRole('link', { name: 'Edit Helper' }).click();

    // Someone else saves first.
    await client.badgesV2.updateBadge(badge._id, { revision: badge.revision, description: 'Changed elsewhere' });

    await page.getByLabel('Title', { exact: true }).fill('Super Helper');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await assert.doesNotReject(page.getByRole('heading', { name: 'Someone else changed this badge' }).waitFor());
    await assert.doesNotReject(page.getByText('You opened revision 1; it is now at revision 2.').waitFor());
    assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), 'Super Helper');
    await screenshot(page, 'stale-edit');
    const stored = await client.badgesV2.getBadge(badge._id);
    assert.equal(stored.title, 'Helper');
    assert.equal(stored.description, 'Changed elsewhere');

    await page.getByRole('link', { name: 'Reload the badge' }).click();
    assert.equal(await page.getByLabel('Description').inputValue(), 'Changed elsewhere');
    await page.getByLabel('Title', { exact: true }).fill('Super Helper');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await assert.doesNotReject(page.getByText('Changes saved.').waitFor());
    const saved = await client.badgesV2.getBadge(badge._id);
    assert.equal(saved.title, 'Super Helper');
    assert.equal(saved.description, 'Changed elsewhere');
    assert.equal(saved.revision, '3');
    await context.close();
  });
});

describe('delete', () => {
  it('asks first, saying how many members hold the badge, then deletes it', async () => {
    const { page, client, apiKey, context } = await newSiteAndPage(env.server, env.browser);
    const [keep, doomed] = await createBadges(client, ['Keeper', 'Doomed']);
    for (let i = 0; i < 2; i += 1) {
      await client.badgeAssignments.createBadgeAssignment({ badgeId: doomed._id, memberId: randomUUID() });
    }
    await signInWithKey(page, env.server, apiKey);
    await page.getByRole('link', { name: 'Delete Doomed' }).click();
    await assert.doesNotReject(page.getByRole('heading', { name: 'Delete “Doomed”?' }).waitFor());
    assert.equal(
      await page.locator('#holder-count').innerText(),
      '2 members hold this badge. Deleting it takes it away from all of them.',
    );
    await screenshot(page, 'delete-confirmation');

    // Cancel changes nothing.
    await page.getByRole('link', { name: 'Cancel' }).click();
    assert.deepEqual(await pageOrder(page), ['Keeper', 'Doomed']);

    await page.getByRole('link', { name: 'Delete Doomed' }).click();
    await page.getByRole('button', { name: 'Delete badge' }).click();
    await assert.doesNotReject(page.getByText('Deleted “Doomed”.').waitFor());
    assert.deepEqual(await pageOrder(page), ['Keeper']);
    assert.deepEqual(await apiOrder(client), ['Keeper']);
    assert.deepEqual(await holdersOf(client, doomed._id), []);
    assert.equal((await client.badgesV2.getBadge(keep._id)).title, 'Keeper');
    await context.close();
  });
});
