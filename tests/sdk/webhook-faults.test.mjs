// Faults: a receiver that is down for a while, a server killed mid-delivery
// and started again, two instances on one PostgreSQL schema. Each asserts
// that every event arrives at least once (exactly once for two healthy
// instances), and nothing of a type the receiver did not ask for.
//
// INSIGNIA_FAULT_DOWN_MS sets how long the receiver is down (default 3 s
// here; `INSIGNIA_FAULT_DOWN_MS=60000 npm test` is the long case).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

process.env.INSIGNIA_ALLOW_PRIVATE_WEBHOOK_URLS = 'true';
process.env.INSIGNIA_WEBHOOK_BACKOFF_MS = process.env.INSIGNIA_WEBHOOK_BACKOFF_MS ?? '100';
process.env.INSIGNIA_WEBHOOK_BACKOFF_MAX_MS = process.env.INSIGNIA_WEBHOOK_BACKOFF_MAX_MS ?? '1000';

const { startServer } = await import('./harness.mjs');
const { startReceiver, api, publicKey, waitFor } = await import('./webhook-receiver.mjs');

const DOWN_MS = Number(process.env.INSIGNIA_FAULT_DOWN_MS ?? 3000);
const TYPE = 'wix.badges.v4.badge_created';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A database two servers can share: the configured PostgreSQL, or a SQLite file. */
function sharedDatabase() {
  if (process.env.INSIGNIA_SDK_DATABASE_URL) return { url: process.env.INSIGNIA_SDK_DATABASE_URL, cleanup() {} };
  const dir = mkdtempSync(path.join(tmpdir(), 'insignia-faults-'));
  const file = path.join(dir, 'insignia.db');
  writeFileSync(file, '');
  return { url: `sqlite://${file}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function subscribe(server, site, url) {
  const res = await api(server, site, 'POST', '/insignia/v1/webhooks', { webhook: { url, eventTypes: [TYPE] } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

async function makeBadges(site, n, prefix) {
  const titles = [];
  for (let i = 0; i < n; i++) {
    const title = `${prefix} ${i}`;
    const b = await site.client.badgesV2.createBadge({ title, backgroundColor: '#796EFF', textColor: '#FFFFFF' });
    await site.client.badgesV2.updateBadge(b._id, { revision: b.revision, description: 'not subscribed' });
    titles.push(title);
  }
  return titles;
}

const titlesOf = (receiver) => new Set(receiver.received.map((r) => r.event.entity.title));

describe('webhook faults', () => {
  let db;
  before(() => {
    db = sharedDatabase();
  });
  after(() => db.cleanup());

  it(`delivers every event after the receiver was down ${DOWN_MS} ms`, async () => {
    const server = await startServer({ databaseUrl: db.url });
    const receiver = await startReceiver(await publicKey(server), [TYPE]);
    try {
      const site = await server.newSite();
      await subscribe(server, site, receiver.url);
      const port = Number(new URL(receiver.url).port);
      await receiver.close();
      const titles = await makeBadges(site, 5, 'Down');
      await sleep(DOWN_MS);
      await receiver.listen(port);
      await waitFor('every event', () => titles.every((t) => titlesOf(receiver).has(t)), 60_000 + DOWN_MS);
      assert.deepEqual(receiver.unexpected, []);
    } finally {
      await receiver.close();
      await server.stop();
    }
  });

  it('delivers every event after a SIGKILL mid-delivery and a restart', async () => {
    const env = { INSIGNIA_WEBHOOK_LEASE_MS: '1500' };
    const first = await startServer({ databaseUrl: db.url, env });
    const receiver = await startReceiver(await publicKey(first), [TYPE]);
    receiver.state.delayMs = 200;
    const site = await first.newSite();
    let second;
    try {
      await subscribe(first, site, receiver.url);
      const titles = await makeBadges(site, 20, 'Killed');
      await waitFor('the first deliveries', () => receiver.received.length >= 2);
      await first.kill();
      second = await startServer({ databaseUrl: db.url, env });
      await waitFor('every event', () => titles.every((t) => titlesOf(receiver).has(t)), 60_000);
      assert.deepEqual(receiver.unexpected, []);
    } finally {
      await receiver.close();
      await second?.stop();
    }
  });

  it('two instances on one PostgreSQL schema deliver each event once', { skip: !process.env.INSIGNIA_SDK_DATABASE_URL }, async () => {
    const a = await startServer({ databaseUrl: db.url });
    const b = await startServer({ databaseUrl: db.url });
    const receiver = await startReceiver(await publicKey(a), [TYPE]);
    try {
      const site = await a.newSite();
      await subscribe(a, site, receiver.url);
      const titles = await makeBadges(site, 30, 'Twice');
      await waitFor('every event', () => titles.every((t) => titlesOf(receiver).has(t)), 60_000);
      await sleep(1000);
      const ids = receiver.received.map((r) => r.event.metadata._id);
      assert.equal(ids.length, new Set(ids).size, 'no event delivered twice');
      assert.equal(ids.length, titles.length);
      assert.deepEqual(receiver.unexpected, []);
    } finally {
      await receiver.close();
      await a.stop();
      await b.stop();
    }
  });
});
