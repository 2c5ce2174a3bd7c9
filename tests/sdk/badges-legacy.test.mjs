// Conformance: legacy Badges (`badges` module of @wix/members) against Insignia.
// Wire reference: docs/sdk-wire.md §5 and shared spec "Legacy Badges methods".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startServer,
  rejects,
  expectNotFound,
  expectForbidden,
  expectInvalid,
  assertGuid,
  assertRecentDate,
  assertRevision,
  createV4Badges,
  randomId,
} from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const sorted = (arr) => [...arr].sort();
const ICON = 'https://static.example.com/icons/legacy.svg';

async function createLegacyBadges(client, n, prefix) {
  const out = [];
  for (let i = 1; i <= n; i++) {
    out.push(await client.badges.createBadge({ title: `${prefix} ${String(i).padStart(2, '0')}` }));
  }
  return out;
}

describe('createBadge (legacy)', () => {
  it('returns the badge with id, slug, dates, default colours and no revision', async () => {
    const { client } = await server.newSite();
    const startedAt = Date.now() - 5_000;
    const badge = await client.badges.createBadge({ title: 'Early Bird', description: 'Joined early', icon: ICON });
    assertGuid(badge._id);
    assert.equal(badge.id, undefined);
    assert.equal(badge.title, 'Early Bird');
    assert.equal(badge.description, 'Joined early');
    assert.equal(badge.backgroundColor, '#796EFF');
    assert.equal(badge.textColor, '#FFFFFF');
    assert.equal(badge.icon, ICON, 'legacy icon is a plain URL string');
    assert.ok(!badge.permissionsEnabled);
    assert.equal(badge.slug, 'early-bird');
    assert.equal(badge.revision, undefined, 'legacy badges carry no revision');
    assertRecentDate(badge._createdDate, '_createdDate', { after: startedAt });
    assertRecentDate(badge._updatedDate, '_updatedDate', { after: startedAt });
  });

  it('keeps given colours (upper-casing lower-case hex) and permissionsEnabled', async () => {
    const { client } = await server.newSite();
    const badge = await client.badges.createBadge({ title: 'Coloured', backgroundColor: '#00ff7f', textColor: '#123ABC', permissionsEnabled: true });
    assert.equal(badge.backgroundColor, '#00FF7F');
    assert.equal(badge.textColor, '#123ABC');
    assert.equal(badge.permissionsEnabled, true);
  });

  it('rejects a 51-character title with 400 and a read-only key with 403', async () => {
    const { readClient, client } = await server.newSite();
    await expectInvalid(client.badges.createBadge({ title: 't'.repeat(51) }), 'title');
    await expectForbidden(readClient.badges.createBadge({ title: 'Nope' }));
  });
});

describe('getBadge / updateBadge / deleteBadge (legacy)', () => {
  it('getBadge returns what createBadge returned; unknown id is 404', async () => {
    const { client, readClient } = await server.newSite();
    const created = await client.badges.createBadge({ title: 'Lookup', icon: ICON });
    assert.deepEqual(await readClient.badges.getBadge(created._id), created);
    await expectNotFound(client.badges.getBadge(randomId()));
  });

  it('updateBadge changes fields without a revision and the slug follows the title', async () => {
    const { client } = await server.newSite();
    const created = await client.badges.createBadge({ title: 'Old Name', description: 'keep me', backgroundColor: '#111111' });
    const updated = await client.badges.updateBadge(created._id, { title: 'New Name', textColor: '#000000' });
    assert.equal(updated._id, created._id);
    assert.equal(updated.title, 'New Name');
    assert.equal(updated.slug, 'new-name');
    assert.equal(updated.description, 'keep me');
    assert.equal(updated.backgroundColor, '#111111');
    assert.equal(updated.textColor, '#000000');
    assert.equal(updated._createdDate.getTime(), created._createdDate.getTime());
    assert.ok(updated._updatedDate.getTime() >= created._updatedDate.getTime());
    assert.deepEqual(await client.badges.getBadge(created._id), updated);
  });

  it('updateBadge: unknown id is 404, 51-character title is 400, read-only key is 403', async () => {
    const { client, readClient } = await server.newSite();
    await expectNotFound(client.badges.updateBadge(randomId(), { title: 'Ghost' }));
    const created = await client.badges.createBadge({ title: 'Guarded' });
    await expectInvalid(client.badges.updateBadge(created._id, { title: 'u'.repeat(51) }), 'title');
    await expectForbidden(readClient.badges.updateBadge(created._id, { title: 'Changed' }));
    assert.equal((await client.badges.getBadge(created._id)).title, 'Guarded');
  });

  it('deleteBadge resolves undefined; then get and delete are 404; read-only key is 403', async () => {
    const { client, readClient } = await server.newSite();
    const created = await client.badges.createBadge({ title: 'Doomed' });
    await expectForbidden(readClient.badges.deleteBadge(created._id));
    assert.equal(await client.badges.deleteBadge(created._id), undefined);
    await expectNotFound(client.badges.getBadge(created._id));
    await expectNotFound(client.badges.deleteBadge(created._id));
  });
});

describe('one data set shared with V4', () => {
  it('a V4 badge is readable through the legacy API with its icon as a string', async () => {
    const { client } = await server.newSite();
    const v4 = await client.badgesV2.createBadge({ title: 'Shared', backgroundColor: '#ABCDEF', textColor: '#FFFFFF', icon: ICON });
    const legacy = await client.badges.getBadge(v4._id);
    assert.equal(legacy._id, v4._id);
    assert.equal(legacy.title, 'Shared');
    assert.equal(legacy.icon, ICON);
    assert.equal(legacy.slug, v4.slug);
    assert.equal(legacy.backgroundColor, '#ABCDEF');
  });

  it('a legacy update bumps the V4 revision', async () => {
    const { client } = await server.newSite();
    const legacy = await client.badges.createBadge({ title: 'Versioned' });
    const v4 = await client.badgesV2.getBadge(legacy._id);
    assertRevision(v4.revision, 1);
    await client.badges.updateBadge(legacy._id, { description: 'changed through v3' });
    const afterUpdate = await client.badgesV2.getBadge(legacy._id);
    assertRevision(afterUpdate.revision, 2);
    assert.equal(afterUpdate.description, 'changed through v3');
  });

  it('legacy assignBadge creates V4 assignments and V4 assignments show in listMembersByBadge', async () => {
    const { client } = await server.newSite();
    const badge = await client.badges.createBadge({ title: 'Bridge' });
    const m1 = randomId();
    const m2 = randomId();
    await client.badges.assignBadge(badge._id, [m1]);
    const res = await client.badgeAssignments.queryBadgeAssignments({ filter: { badgeId: badge._id }, cursorPaging: { limit: 10 } });
    assert.deepEqual(res.badgeAssignments.map((a) => a.memberId), [m1]);
    await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: m2 });
    const list = await client.badges.listMembersByBadge(badge._id);
    assert.deepEqual(sorted(list.memberIds), sorted([m1, m2]));
  });
});

describe('listBadges (legacy)', () => {
  it('pages with paging.limit / paging.offset and answers metadata', async () => {
    const { client, readClient } = await server.newSite();
    const created = await createLegacyBadges(client, 5, 'List');
    await client.badges.updateBadgesDisplayOrder(created.map((b) => b._id));

    const page = await readClient.badges.listBadges({ paging: { limit: 2, offset: 2 } });
    assert.deepEqual(page.badges.map((b) => b._id), [created[2]._id, created[3]._id]);
    assert.equal(page.metadata.count, 2);
    assert.equal(page.metadata.offset, 2);
    assert.equal(page.metadata.total, 5);
    assert.ok(page.badges[0]._createdDate instanceof Date);
    assert.equal(typeof page.badges[0].icon === 'object' && page.badges[0].icon !== null, false);

    const last = await readClient.badges.listBadges({ paging: { limit: 2, offset: 4 } });
    assert.deepEqual(last.badges.map((b) => b._id), [created[4]._id]);
    assert.equal(last.metadata.count, 1);
    assert.equal(last.metadata.total, 5);
  });

  it('returns every badge of the site in display order without options', async () => {
    const { client } = await server.newSite();
    const created = await createLegacyBadges(client, 4, 'All');
    const order = [created[3], created[1], created[0], created[2]].map((b) => b._id);
    await client.badges.updateBadgesDisplayOrder(order);
    const res = await client.badges.listBadges();
    assert.deepEqual(res.badges.map((b) => b._id), order);
    assert.equal(res.metadata.total, 4);
    const other = await server.newSite();
    assert.equal((await other.client.badges.listBadges()).badges.length, 0);
  });
});

describe('assignBadge / unassignBadge / listMembersByBadge (legacy)', () => {
  it('assigns members and is idempotent for members who already hold the badge', async () => {
    const { client } = await server.newSite();
    const badge = await client.badges.createBadge({ title: 'Member Badge' });
    const m1 = randomId();
    const m2 = randomId();
    const res = await client.badges.assignBadge(badge._id, [m1, m2]);
    assert.deepEqual(sorted(res.memberIds), sorted([m1, m2]));

    const again = await client.badges.assignBadge(badge._id, [m1]);
    assert.ok(again.memberIds.includes(m1), 'a repeated assignment still reports the member');
    const rows = await client.badgeAssignments.queryBadgeAssignments({ filter: { badgeId: badge._id, memberId: m1 }, cursorPaging: { limit: 10 } });
    assert.equal(rows.badgeAssignments.length, 1, 'never a second row');

    const list = await client.badges.listMembersByBadge(badge._id);
    assert.deepEqual(sorted(list.memberIds), sorted([m1, m2]));
    assert.equal(list.metadata.total, 2);
  });

  it('unassignBadge removes only the given members (resolves undefined)', async () => {
    const { client } = await server.newSite();
    const badge = await client.badges.createBadge({ title: 'Removable' });
    const members = [randomId(), randomId(), randomId()];
    await client.badges.assignBadge(badge._id, members);
    assert.equal(await client.badges.unassignBadge(badge._id, [members[0], members[2]]), undefined);
    const list = await client.badges.listMembersByBadge(badge._id);
    assert.deepEqual(list.memberIds, [members[1]]);
  });

  it('listMembersByBadge pages with paging.limit / paging.offset', async () => {
    const { client, readClient } = await server.newSite();
    const badge = await client.badges.createBadge({ title: 'Crowd' });
    const members = Array.from({ length: 5 }, () => randomId());
    await client.badges.assignBadge(badge._id, members);
    const seen = [];
    for (let offset = 0; offset < 5; offset += 2) {
      const page = await readClient.badges.listMembersByBadge(badge._id, { paging: { limit: 2, offset } });
      assert.equal(page.metadata.total, 5);
      assert.equal(page.metadata.offset, offset);
      assert.equal(page.metadata.count, page.memberIds.length);
      assert.equal(page.memberIds.length, offset === 4 ? 1 : 2);
      seen.push(...page.memberIds);
    }
    assert.deepEqual(sorted(seen), sorted(members), 'pages cover every member exactly once');
  });

  it('assignBadge and unassignBadge take up to 1,000 members in one call', async () => {
    const { client } = await server.newSite();
    const badge = await client.badges.createBadge({ title: 'Thousand' });
    const members = Array.from({ length: 1000 }, () => randomId());
    const res = await client.badges.assignBadge(badge._id, members);
    assert.equal(res.memberIds.length, 1000);
    assert.equal((await client.badges.listMembersByBadge(badge._id, { paging: { limit: 1 } })).metadata.total, 1000);

    const tooMany = [...members, randomId()];
    await expectInvalid(client.badges.assignBadge(badge._id, tooMany), 'memberIds');
    await expectInvalid(client.badges.unassignBadge(badge._id, tooMany), 'memberIds');
    assert.equal((await client.badges.listMembersByBadge(badge._id, { paging: { limit: 1 } })).metadata.total, 1000);

    await client.badges.unassignBadge(badge._id, members);
    assert.equal((await client.badges.listMembersByBadge(badge._id)).metadata.total, 0);
  });

  it('answers 404 for an unknown badge and 403 for a read-only key', async () => {
    const { client, readClient } = await server.newSite();
    await expectNotFound(client.badges.assignBadge(randomId(), [randomId()]));
    await expectNotFound(client.badges.unassignBadge(randomId(), [randomId()]));
    await expectNotFound(client.badges.listMembersByBadge(randomId()));
    const badge = await client.badges.createBadge({ title: 'Closed' });
    await expectForbidden(readClient.badges.assignBadge(badge._id, [randomId()]));
    const member = randomId();
    await client.badges.assignBadge(badge._id, [member]);
    await expectForbidden(readClient.badges.unassignBadge(badge._id, [member]));
    assert.deepEqual((await client.badges.listMembersByBadge(badge._id)).memberIds, [member]);
  });
});

describe('listBadgesPerMember / getMemberCountsPerBadge (legacy)', () => {
  it('lists each member’s badge ids and counts members per badge', async () => {
    const { client, readClient } = await server.newSite();
    const [b1, b2, b3] = await createLegacyBadges(client, 3, 'Count');
    const m1 = randomId();
    const m2 = randomId();
    const nobody = randomId();
    await client.badges.assignBadge(b1._id, [m1, m2]);
    await client.badges.assignBadge(b2._id, [m1]);

    const per = await readClient.badges.listBadgesPerMember([m1, m2, nobody]);
    const byMember = Object.fromEntries(per.memberBadgeIds.map((e) => [e.memberId, e.badgeIds ?? []]));
    assert.deepEqual(sorted(byMember[m1]), sorted([b1._id, b2._id]));
    assert.deepEqual(byMember[m2], [b1._id]);
    assert.deepEqual(byMember[nobody] ?? [], []);

    const counts = await readClient.badges.getMemberCountsPerBadge();
    const byBadge = Object.fromEntries(counts.badgeMemberCounts.map((e) => [e.badgeId, e.memberCount]));
    assert.equal(byBadge[b1._id], 2);
    assert.equal(byBadge[b2._id], 1);
    assert.ok(byBadge[b3._id] === undefined || byBadge[b3._id] === 0, 'a badge without members counts 0 or is left out');
    for (const e of counts.badgeMemberCounts) assert.equal(typeof e.memberCount, 'number');
  });

  it('gives each member’s badge ids in display order', async () => {
    const { client } = await server.newSite();
    const [b1, b2, b3] = await createLegacyBadges(client, 3, 'Shown');
    const member = randomId();
    // Assigned last-to-first, then the site shows B2, B3, B1.
    for (const badge of [b3, b1, b2]) await client.badges.assignBadge(badge._id, [member]);
    await client.badges.updateBadgesDisplayOrder([b2._id, b3._id, b1._id]);
    const per = await client.badges.listBadgesPerMember([member]);
    assert.deepEqual(per.memberBadgeIds[0].badgeIds, [b2._id, b3._id, b1._id]);
    await client.badges.updateBadgesDisplayOrder([b1._id, b2._id, b3._id]);
    const again = await client.badges.listBadgesPerMember([member]);
    assert.deepEqual(again.memberBadgeIds[0].badgeIds, [b1._id, b2._id, b3._id]);
  });

  it('rejects an empty or over-100 member list with 400', async () => {
    const { client } = await server.newSite();
    await expectInvalid(client.badges.listBadgesPerMember([]), 'memberIds');
    await expectInvalid(client.badges.listBadgesPerMember(Array.from({ length: 101 }, () => randomId())), 'memberIds');
  });
});

describe('updateBadgesDisplayOrder (legacy)', () => {
  it('returns the badges in the requested order', async () => {
    const { client } = await server.newSite();
    const [a, b, c] = await createLegacyBadges(client, 3, 'Ordered');
    const res = await client.badges.updateBadgesDisplayOrder([b._id, c._id, a._id]);
    assert.deepEqual(res.badges.map((x) => x._id), [b._id, c._id, a._id]);
    assert.ok(res.badges[0]._createdDate instanceof Date);
    assert.deepEqual((await client.badges.listBadges()).badges.map((x) => x._id), [b._id, c._id, a._id]);
  });

  it('is refused with 403 for a read-only key and 400 for an empty list', async () => {
    const { client, readClient } = await server.newSite();
    const [a, b] = await createV4Badges(client, 2, 'LegacyOrder');
    await expectForbidden(readClient.badges.updateBadgesDisplayOrder([b._id, a._id]));
    await expectInvalid(client.badges.updateBadgesDisplayOrder([]), 'badgeIds');
  });
});

describe('authentication (legacy)', () => {
  it('answers 401 for an unknown key', async () => {
    const { siteId } = await server.newSite();
    const stranger = server.client({ apiKey: 'definitely-not-a-key', siteId });
    const err = await rejects(stranger.badges.listBadges());
    assert.equal(err.status, 401);
    assert.equal(err.details?.applicationError?.code, 'UNAUTHENTICATED');
  });
});
