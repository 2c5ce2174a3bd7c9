// Browser test harness: a real `insignia serve` (started by the SDK suite's
// harness, so both suites run the server the same way) and Debian's headless
// Chromium driven by playwright-core. No browser is ever downloaded.
//
// Environment:
//   INSIGNIA_BIN               server binary (default: ../../target/debug/insignia)
//   INSIGNIA_SDK_DATABASE_URL  database URL instead of a fresh SQLite file (e.g. postgres://…)
//   INSIGNIA_CHROMIUM          browser binary (default /usr/bin/chromium)
//   INSIGNIA_SCREENSHOTS       folder (relative to the repository) to save screenshots of the main screens in
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';

import { chromium } from 'playwright-core';

import { startServer, runCli, MANAGE_SCOPE, READ_SCOPE } from '../sdk/harness.mjs';

export { startServer, MANAGE_SCOPE, READ_SCOPE };

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.INSIGNIA_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/**
 * Starts a server and a browser before the file's tests and stops both after them.
 * Returns `{ server, browser }`, filled in once the tests run.
 */
export function useServerAndBrowser() {
  const env = {};
  before(async () => {
    env.server = await startServer();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

/** A fresh site with keys, a browser page of its own, and an SDK client. */
export async function newSiteAndPage(server, browser) {
  const site = await server.newSite();
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { ...site, context, page };
}

/** Signs in on the sign-in page by pasting `key`; ends on the badges list. */
export async function signInWithKey(page, server, key) {
  await page.goto(`${server.baseUrl}/admin`);
  await page.waitForURL('**/admin/signin');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/admin/badges');
}

/** `insignia admin login-link --site S --base-url …`: the printed link. */
export async function loginLink(server, siteId) {
  const stdout = await runCli(server.bin, [
    'admin', 'login-link', '--site', siteId, '--base-url', server.baseUrl, '--database', server.databaseUrl,
  ]);
  const link = stdout.trim();
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/admin\/login\?token=[A-Za-z0-9_-]{43}$/);
  return link;
}

/** Creates badges through the API (V4), in order; returns them. */
export async function createBadges(client, titles) {
  const made = [];
  for (const title of titles) {
    made.push(await client.badgesV2.createBadge({ title, backgroundColor: '#1D4ED8', textColor: '#FFFFFF' }));
  }
  return made;
}

/** Display order as V4 `queryBadges` reports it, sorted by display order. */
export async function apiOrder(client) {
  const res = await client.badgesV2.queryBadges().ascending('displayOrder').limit(100).find();
  return res.items.map((b) => b.title);
}

/** Titles in the admin list, top to bottom. */
export async function pageOrder(page) {
  return page.locator('#badge-list li .badge-chip').allInnerTexts().then((t) => t.map((s) => s.trim()));
}

/** Saves a screenshot when INSIGNIA_SCREENSHOTS names a folder. */
export async function screenshot(page, name) {
  const dir = process.env.INSIGNIA_SCREENSHOTS;
  if (!dir) return;
  const folder = path.resolve(REPO, dir);
  mkdirSync(folder, { recursive: true });
  await page.screenshot({ path: path.join(folder, `${name}.png`), fullPage: true });
}

/** Sends a POST from inside the page (same origin, with its cookies), as a forged form would. */
export async function postFromPage(page, url, fields) {
  return page.evaluate(
    async ({ url, fields }) => {
      const res = await fetch(url, {
        method: 'POST',
        body: new URLSearchParams(fields),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        redirect: 'manual',
      });
      return { status: res.status, text: await res.text() };
    },
    { url, fields },
  );
}

/** The member ids holding a badge, through V4 `queryBadgeAssignments`. */
export async function holdersOf(client, badgeId) {
  const res = await client.badgeAssignments.queryBadgeAssignments({ filter: { badgeId }, cursorPaging: { limit: 100 } });
  return res.badgeAssignments.map((a) => a.memberId).sort();
}
