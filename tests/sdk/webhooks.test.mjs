// Webhooks received with the official SDK, unchanged: an AppStrategy client
// holding Insignia's public key, and `webhooks.processRequest(request)` on
// each delivery. Every one of the seven badge handlers must be called by a
// change made through the API, with the entity and metadata the spec
// describes; a receiver gets only the event types it subscribed to.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

// The receiver listens on 127.0.0.1; retries come quickly in tests.
process.env.INSIGNIA_ALLOW_PRIVATE_WEBHOOK_URLS = 'true';
process.env.INSIGNIA_WEBHOOK_BACKOFF_MS = process.env.INSIGNIA_WEBHOOK_BACKOFF_MS ?? '100';
process.env.INSIGNIA_WEBHOOK_BACKOFF_MAX_MS = process.env.INSIGNIA_WEBHOOK_BACKOFF_MAX_MS ?? '400';

const { startServer } = await import('./harness.mjs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const { HANDLERS, startReceiver, api, publicKey, waitFor } = await import('./webhook-receiver.mjs');

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

describe('webhooks through the official SDK receiver', () => {
  it('calls each of the seven handlers with the entity and metadata', async () => {
    const site = await server.newSite();
    const receiver = await startReceiver(await publicKey(server), Object.keys(HANDLERS));
    try {
      const created = await api(server, site, 'POST', '/insignia/v1/webhooks', {
        webhook: { url: receiver.url, eventTypes: Object.keys(HANDLERS) },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal(created.body.webhook.status, 'ACTIVE');

      const { client } = site;
      const badge = await client.badgesV2.createBadge({ title: 'Rising Star', backgroundColor: '#FED8B1', textColor: '#000000' });
      const updated = await client.badgesV2.updateBadge(badge._id, { revision: badge.revision, title: 'Rising Star II' });
      const memberId = randomUUID();
      const assignment = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId });
      await client.badgeAssignments.deleteBadgeAssignment(assignment._id);
      const legacyMember = randomUUID();
      await client.badges.assignBadge(badge._id, [legacyMember]);
      await client.badges.unassignBadge(badge._id, [legacyMember]);
      await client.badgesV2.deleteBadge(badge._id);

      const legacy = (type) => receiver.received.some((r) => r.type === type && r.event.data?.memberId === legacyMember);
      await waitFor(
        'every handler',
        () =>
          Object.keys(HANDLERS).every((t) => receiver.received.some((r) => r.type === t)) &&
          receiver.received.some((r) => r.event.metadata.entityId === assignment._id && r.event.metadata.slug === 'deleted') &&
          legacy('wix.badges.v3.badge_badge_assigned') &&
          legacy('wix.badges.v3.badge_badge_unassigned'),
      );
      assert.deepEqual(receiver.unexpected, []);
      // Order is kept per entity; the legacy calls make assignments of their own.
      const first = (type, entityId = badge._id) =>
        receiver.received.find((r) => r.type === type && r.event.metadata.entityId === entityId).event;

      const c = first('wix.badges.v4.badge_created');
      assert.equal(c.entity._id, badge._id);
      assert.equal(c.entity.title, 'Rising Star');
      assert.ok(c.entity._createdDate instanceof Date);
      assert.ok(c.metadata.eventTime instanceof Date);
      assert.equal(c.metadata.entityId, badge._id);
      assert.equal(c.metadata.entityFqdn, 'wix.badges.v4.badge');
      assert.equal(c.metadata.slug, 'created');
      assert.equal(c.metadata.instanceId, site.siteId);
      assert.equal(c.metadata.identity.identityType, 'APP');
      assert.equal(c.metadata.accountInfo.siteId, site.siteId);
      assert.equal(typeof c.metadata._id, 'string');
      assert.match(c.metadata.entityEventSequence, /^\d+$/);

      const u = first('wix.badges.v4.badge_updated');
      assert.equal(u.entity.title, updated.title);
      assert.equal(u.metadata.slug, 'updated');
      assert.ok(Number(u.metadata.entityEventSequence) > Number(c.metadata.entityEventSequence));

      const d = first('wix.badges.v4.badge_deleted');
      assert.equal(d.entity, undefined);
      assert.equal(d.metadata.entityId, badge._id);

      const ac = first('wix.badges.v4.badge_assignment_created', assignment._id);
      assert.equal(ac.entity._id, assignment._id);
      assert.equal(ac.entity.memberId, memberId);
      assert.ok(ac.entity._createdDate instanceof Date);
      assert.equal(ac.metadata.entityFqdn, 'wix.badges.v4.badge_assignment');

      const ad = first('wix.badges.v4.badge_assignment_deleted', assignment._id);
      assert.equal(ad.entity._id, assignment._id);
      assert.equal(ad.metadata.slug, 'deleted');

      const assigned = receiver.received.filter((r) => r.type === 'wix.badges.v3.badge_badge_assigned').map((r) => r.event);
      assert.ok(assigned.some((e) => e.data.memberId === legacyMember && e.metadata.entityId === badge._id));
      const unassigned = receiver.received.filter((r) => r.type === 'wix.badges.v3.badge_badge_unassigned').map((r) => r.event);
      assert.ok(unassigned.some((e) => e.data.memberId === legacyMember && e.metadata.slug === 'badge_unassigned'));

      // Every attempt is recorded and readable.
      const id = created.body.webhook.id;
      // Attempts are recorded once the round that made them is over.
      let deliveries;
      const deadline = Date.now() + 10_000;
      do {
        deliveries = await api(server, site, 'GET', `/insignia/v1/webhooks/${id}/deliveries?status=DELIVERED`);
        assert.equal(deliveries.status, 200);
      } while (deliveries.body.deliveries.length < receiver.received.length && Date.now() < deadline && (await sleep(100), true));
      assert.ok(deliveries.body.deliveries.length >= 7);
      for (const delivery of deliveries.body.deliveries) {
        assert.equal(delivery.attempts.at(-1).statusCode, 200);
      }
    } finally {
      await receiver.close();
    }
  });

  it('sends a subscriber only the types it asked for, and retries a receiver that fails', async () => {
    const site = await server.newSite();
    const receiver = await startReceiver(await publicKey(server), ['wix.badges.v4.badge_created']);
    try {
      receiver.state.failWith = 500;
      const created = await api(server, site, 'POST', '/insignia/v1/webhooks', {
        webhook: { url: receiver.url, eventTypes: ['wix.badges.v4.badge_created'] },
      });
      assert.equal(created.status, 200);
      const titles = ['One', 'Two', 'Three'];
      for (const title of titles) {
        const b = await site.client.badgesV2.createBadge({ title, backgroundColor: '#796EFF', textColor: '#FFFFFF' });
        await site.client.badgesV2.updateBadge(b._id, { revision: b.revision, description: 'changed' });
      }
      await sleep(1_000);
      receiver.state.failWith = 0;
      await waitFor('three badges', () => receiver.received.length >= 3);
      await sleep(500);
      assert.deepEqual(receiver.unexpected, [], 'no event of a type it did not ask for');
      assert.deepEqual(receiver.received.map((r) => r.event.entity.title).sort(), [...titles].sort());
    } finally {
      await receiver.close();
    }
  });

  it('refuses bad subscriptions with a Wix-shaped 400 and stores nothing', async () => {
    const site = await server.newSite();
    for (const webhook of [
      { url: 'ftp://example.org/x', eventTypes: ['wix.badges.v4.badge_created'] },
      { url: 'http://127.0.0.1:1/x', eventTypes: ['wix.badges.v4.badge_exploded'] },
      { url: 'http://127.0.0.1:1/x', eventTypes: [] },
    ]) {
      const res = await api(server, site, 'POST', '/insignia/v1/webhooks', { webhook });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.ok(res.body.details.validationError.fieldViolations.length > 0);
    }
    const list = await api(server, site, 'GET', '/insignia/v1/webhooks');
    assert.deepEqual(list.body.webhooks, []);
  });
});
