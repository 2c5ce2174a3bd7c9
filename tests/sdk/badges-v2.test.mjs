// Conformance: Badges V4 (`badgesV2` module of @wix/members) against Insignia.
// Wire reference: docs/sdk-wire.md §3 and shared spec "Badges V4 methods".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startServer,
  rejects,
  expectAppError,
  expectNotFound,
  expectForbidden,
  expectInvalid,
  assertAppError,
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

const ICON = 'https://static.example.com/icons/star.svg';

/** Display order as seen by the legacy list call (shared data set). */
async function displayOrder(client) {
  const res = await client.badges.listBadges({ paging: { limit: 100, offset: 0 } });
  return res.badges.map((b) => b._id);
}

describe('createBadge', () => {
  it('returns the created badge with id, revision 1, slug and dates', async () => {
    const { client } = await server.newSite();
    const startedAt = Date.now() - 5_000;
    const badge = await client.badgesV2.createBadge({
      title: 'Gold Star',
      description: 'Awarded for outstanding help',
      backgroundColor: '#FFD700',
      textColor: '#000000',
      icon: ICON,
      permissionsEnabled: true,
    });
    assertGuid(badge._id, 'badge._id');
    assert.equal(badge.id, undefined, 'the SDK renames id to _id');
    assertRevision(badge.revision, 1);
    assert.equal(badge.title, 'Gold Star');
    assert.equal(badge.description, 'Awarded for outstanding help');
    assert.equal(badge.backgroundColor, '#FFD700');
    assert.equal(badge.textColor, '#000000');
    assert.equal(badge.icon, ICON, 'icon round-trips as the same URL string');
    assert.equal(badge.permissionsEnabled, true);
    assert.equal(badge.slug, 'gold-star');
    assertRecentDate(badge._createdDate, '_createdDate', { after: startedAt });
    assertRecentDate(badge._updatedDate, '_updatedDate', { after: startedAt });
    assert.ok(badge._updatedDate.getTime() >= badge._createdDate.getTime(), '_updatedDate >= _createdDate');
  });

  it('defaults permissionsEnabled to false and leaves icon unset', async () => {
    const { client } = await server.newSite();
    const badge = await client.badgesV2.createBadge({ title: 'Plain', backgroundColor: '#796EFF', textColor: '#FFFFFF' });
    assert.ok(!badge.permissionsEnabled, 'permissionsEnabled is false or absent');
    assert.ok(badge.icon === undefined || badge.icon === null || badge.icon === '', `icon is unset, got ${JSON.stringify(badge.icon)}`);
  });

  it('accepts lower-case hex colours and stores them upper case', async () => {
    const { client } = await server.newSite();
    const badge = await client.badgesV2.createBadge({ title: 'Lower', backgroundColor: '#a1b2c3', textColor: '#ffffff' });
    assert.equal(badge.backgroundColor, '#A1B2C3');
    assert.equal(badge.textColor, '#FFFFFF');
    const again = await client.badgesV2.getBadge(badge._id);
    assert.equal(again.backgroundColor, '#A1B2C3');
  });

  it('derives the slug from the title and de-duplicates it within a site', async () => {
    const { client } = await server.newSite();
    const a = await client.badgesV2.createBadge({ title: 'Top Contributor 2024', backgroundColor: '#000000', textColor: '#FFFFFF' });
    assert.equal(a.slug, 'top-contributor-2024');
    const b = await client.badgesV2.createBadge({ title: 'Star!', backgroundColor: '#000000', textColor: '#FFFFFF' });
    assert.equal(b.slug, 'star');
    const c = await client.badgesV2.createBadge({ title: 'Star', backgroundColor: '#000000', textColor: '#FFFFFF' });
    assert.equal(c.slug, 'star-2');
    const d = await client.badgesV2.createBadge({ title: 'STAR', backgroundColor: '#000000', textColor: '#FFFFFF' });
    assert.equal(d.slug, 'star-3');
    // Another site has its own slug space.
    const other = await server.newSite();
    const e = await other.client.badgesV2.createBadge({ title: 'Star', backgroundColor: '#000000', textColor: '#FFFFFF' });
    assert.equal(e.slug, 'star');
  });

  it('accepts a 50-character title and rejects 51 characters with 400', async () => {
    const { client } = await server.newSite();
    const ok = await client.badgesV2.createBadge({ title: 'x'.repeat(50), backgroundColor: '#000000', textColor: '#FFFFFF' });
    assert.equal(ok.title.length, 50);
    await expectInvalid(
      client.badgesV2.createBadge({ title: 'y'.repeat(51), backgroundColor: '#000000', textColor: '#FFFFFF' }),
      'title',
    );
  });

  it('rejects a missing backgroundColor or textColor with 400 naming it (both are @requiredField)', async () => {
    const { client } = await server.newSite();
    await expectInvalid(client.badgesV2.createBadge({ title: 'No text colour', backgroundColor: '#000000' }), 'badge.textColor');
    await expectInvalid(client.badgesV2.createBadge({ title: 'No background', textColor: '#FFFFFF' }), 'badge.backgroundColor');
    const res = await client.badgesV2.queryBadges().find();
    assert.equal(res.totalCount, 0, 'nothing was created');
  });

  it('rejects a missing or empty title with 400', async () => {
    const { client } = await server.newSite();
    await expectInvalid(client.badgesV2.createBadge({ backgroundColor: '#000000', textColor: '#FFFFFF' }), 'title');
    await expectInvalid(client.badgesV2.createBadge({ title: '', backgroundColor: '#000000', textColor: '#FFFFFF' }), 'title');
  });

  it('rejects a description over 1,500 characters with 400', async () => {
    const { client } = await server.newSite();
    const ok = await client.badgesV2.createBadge({ title: 'Long', description: 'd'.repeat(1500), backgroundColor: '#000000', textColor: '#FFFFFF' });
    assert.equal(ok.description.length, 1500);
    await expectInvalid(
      client.badgesV2.createBadge({ title: 'Longer', description: 'd'.repeat(1501), backgroundColor: '#000000', textColor: '#FFFFFF' }),
      'description',
    );
  });

  it('rejects colours that are not #RRGGBB with 400', async () => {
    const { client } = await server.newSite();
    await expectInvalid(client.badgesV2.createBadge({ title: 'Red', backgroundColor: 'red', textColor: '#FFFFFF' }), 'backgroundColor');
    await expectInvalid(client.badgesV2.createBadge({ title: 'Short', backgroundColor: '#000000', textColor: '#FFF' }), 'textColor');
  });

  it('is refused with 403 PERMISSION_DENIED for a read-only key', async () => {
    const { readClient } = await server.newSite();
    await expectForbidden(readClient.badgesV2.createBadge({ title: 'Nope', backgroundColor: '#000000', textColor: '#FFFFFF' }));
  });
});

describe('getBadge', () => {
  it('returns the same badge as createBadge', async () => {
    const { client, readClient } = await server.newSite();
    const created = await client.badgesV2.createBadge({ title: 'Fetch Me', backgroundColor: '#102030', textColor: '#FFFFFF', icon: ICON });
    const got = await readClient.badgesV2.getBadge(created._id);
    assert.deepEqual(got, created);
  });

  it('answers 404 for an unknown id', async () => {
    const { client } = await server.newSite();
    await expectNotFound(client.badgesV2.getBadge(randomId()));
  });

  it('does not show a badge of another site (404)', async () => {
    const a = await server.newSite();
    const b = await server.newSite();
    const badge = await a.client.badgesV2.createBadge({ title: 'Private', backgroundColor: '#000000', textColor: '#FFFFFF' });
    await expectNotFound(b.client.badgesV2.getBadge(badge._id));
  });

  it('answers 401 UNAUTHENTICATED for an unknown key', async () => {
    const { siteId } = await server.newSite();
    const stranger = server.client({ apiKey: 'not-a-real-key', siteId });
    await expectAppError(stranger.badgesV2.getBadge(randomId()), 401, 'UNAUTHENTICATED');
  });

  it('refuses a key used with another site id (401 or 403)', async () => {
    const a = await server.newSite();
    const b = await server.newSite();
    const crossed = server.client({ apiKey: a.apiKey, siteId: b.siteId });
    const err = await rejects(crossed.badgesV2.getBadge(randomId()));
    assert.ok([401, 403].includes(err.status), `status 401 or 403, got ${err.status}`);
    assert.equal(typeof err.details?.applicationError?.code, 'string');
  });

  it('sends x-wix-request-id with errors (surfaced as error.requestId)', async () => {
    const { client } = await server.newSite();
    const err = await rejects(client.badgesV2.getBadge(randomId()));
    assert.equal(typeof err.requestId, 'string', 'requestId from the X-Wix-Request-Id header');
    assert.ok(err.requestId.length > 0);
    assert.equal(err.details.requestId, err.requestId);
  });
});

describe('updateBadge', () => {
  it('changes the given fields, keeps the others, and increments the revision', async () => {
    const { client } = await server.newSite();
    const created = await client.badgesV2.createBadge({
      title: 'Silver',
      description: 'Second place',
      backgroundColor: '#C0C0C0',
      textColor: '#000000',
      icon: ICON,
    });
    const updated = await client.badgesV2.updateBadge(created._id, { revision: created.revision, description: 'Runner-up' });
    assert.equal(updated._id, created._id);
    assertRevision(updated.revision, 2);
    assert.equal(updated.description, 'Runner-up');
    assert.equal(updated.title, 'Silver');
    assert.equal(updated.backgroundColor, '#C0C0C0');
    assert.equal(updated.textColor, '#000000');
    assert.equal(updated.icon, ICON);
    assert.equal(updated._createdDate.getTime(), created._createdDate.getTime(), '_createdDate unchanged');
    assert.ok(updated._updatedDate.getTime() >= created._updatedDate.getTime(), '_updatedDate moves forward');

    const icon2 = 'https://static.example.com/icons/moon.png';
    const again = await client.badgesV2.updateBadge(created._id, {
      revision: updated.revision,
      title: 'Silver Medal',
      icon: icon2,
      permissionsEnabled: true,
      textColor: '#ffffff',
    });
    assertRevision(again.revision, 3);
    assert.equal(again.title, 'Silver Medal');
    assert.equal(again.icon, icon2);
    assert.equal(again.permissionsEnabled, true);
    assert.equal(again.textColor, '#FFFFFF');
    assert.deepEqual(await client.badgesV2.getBadge(created._id), again);
  });

  it('answers 409 REVISION_MISMATCH for a stale revision and leaves the badge unchanged', async () => {
    const { client } = await server.newSite();
    const created = await client.badgesV2.createBadge({ title: 'Bronze', backgroundColor: '#CD7F32', textColor: '#FFFFFF' });
    const updated = await client.badgesV2.updateBadge(created._id, { revision: created.revision, title: 'Bronze 2' });
    await expectAppError(
      client.badgesV2.updateBadge(created._id, { revision: created.revision, title: 'Lost update' }),
      409,
      'REVISION_MISMATCH',
    );
    const current = await client.badgesV2.getBadge(created._id);
    assert.equal(current.title, 'Bronze 2');
    assert.equal(current.revision, updated.revision);
  });

  it('answers 404 for an unknown id', async () => {
    const { client } = await server.newSite();
    await expectNotFound(client.badgesV2.updateBadge(randomId(), { revision: '1', title: 'Ghost' }));
  });

  it('rejects a 51-character title with 400', async () => {
    const { client } = await server.newSite();
    const created = await client.badgesV2.createBadge({ title: 'Short', backgroundColor: '#000000', textColor: '#FFFFFF' });
    await expectInvalid(client.badgesV2.updateBadge(created._id, { revision: created.revision, title: 'z'.repeat(51) }), 'title');
    const current = await client.badgesV2.getBadge(created._id);
    assert.equal(current.title, 'Short');
    assertRevision(current.revision, 1);
  });

  it('is refused with 403 for a read-only key', async () => {
    const { client, readClient } = await server.newSite();
    const created = await client.badgesV2.createBadge({ title: 'Locked', backgroundColor: '#000000', textColor: '#FFFFFF' });
    await expectForbidden(readClient.badgesV2.updateBadge(created._id, { revision: created.revision, title: 'Changed' }));
    assert.equal((await client.badgesV2.getBadge(created._id)).title, 'Locked');
  });
});

describe('deleteBadge', () => {
  it('deletes the badge (resolves undefined); a second delete is 404', async () => {
    const { client } = await server.newSite();
    const created = await client.badgesV2.createBadge({ title: 'Temporary', backgroundColor: '#000000', textColor: '#FFFFFF' });
    const result = await client.badgesV2.deleteBadge(created._id);
    assert.equal(result, undefined);
    await expectNotFound(client.badgesV2.getBadge(created._id));
    await expectNotFound(client.badgesV2.deleteBadge(created._id));
  });

  it('removes the badge’s assignments too', async () => {
    const { client } = await server.newSite();
    const [keep, gone] = await createV4Badges(client, 2, 'Cascade');
    const members = [randomId(), randomId()];
    for (const memberId of members) {
      await client.badgeAssignments.createBadgeAssignment({ badgeId: gone._id, memberId });
      await client.badgeAssignments.createBadgeAssignment({ badgeId: keep._id, memberId });
    }
    await client.badgesV2.deleteBadge(gone._id);
    const goneRes = await client.badgeAssignments.queryBadgeAssignments({ filter: { badgeId: gone._id }, cursorPaging: { limit: 100 } });
    assert.equal(goneRes.badgeAssignments.length, 0);
    const keepRes = await client.badgeAssignments.queryBadgeAssignments({ filter: { badgeId: keep._id }, cursorPaging: { limit: 100 } });
    assert.equal(keepRes.badgeAssignments.length, 2);
  });

  it('answers 404 for an unknown id and 403 for a read-only key', async () => {
    const { client, readClient } = await server.newSite();
    await expectNotFound(client.badgesV2.deleteBadge(randomId()));
    const created = await client.badgesV2.createBadge({ title: 'Keep', backgroundColor: '#000000', textColor: '#FFFFFF' });
    await expectForbidden(readClient.badgesV2.deleteBadge(created._id));
    await client.badgesV2.getBadge(created._id);
  });
});

describe('queryBadges() builder (offset paging)', () => {
  let site;
  let created;
  before(async () => {
    site = await server.newSite();
    created = await createV4Badges(site.client, 7, 'Paged');
  });

  it('pages with find() / hasNext() / next() / prev() using pagingMetadata.total', async () => {
    const q = site.readClient.badgesV2.queryBadges().ascending('title').limit(3);
    const p1 = await q.find();
    assert.deepEqual(p1.items.map((b) => b.title), ['Paged 01', 'Paged 02', 'Paged 03']);
    assert.equal(p1.length, 3);
    assert.equal(p1.pageSize, 3);
    assert.equal(p1.totalCount, 7);
    assert.equal(p1.totalPages, 3);
    assert.equal(p1.currentPage, 0);
    assert.equal(p1.hasNext(), true);
    assert.equal(p1.hasPrev(), false);
    assertGuid(p1.items[0]._id);
    assert.ok(p1.items[0]._createdDate instanceof Date, 'items carry Date objects');
    assertRevision(p1.items[0].revision, 1);

    const p2 = await p1.next();
    assert.deepEqual(p2.items.map((b) => b.title), ['Paged 04', 'Paged 05', 'Paged 06']);
    assert.equal(p2.currentPage, 1);
    assert.equal(p2.hasNext(), true);
    assert.equal(p2.hasPrev(), true);

    const p3 = await p2.next();
    assert.deepEqual(p3.items.map((b) => b.title), ['Paged 07']);
    assert.equal(p3.currentPage, 2);
    assert.equal(p3.totalCount, 7);
    assert.equal(p3.hasNext(), false);
    await assert.rejects(p3.next(), /No next page/);

    const back = await p3.prev();
    assert.deepEqual(back.items.map((b) => b.title), ['Paged 04', 'Paged 05', 'Paged 06']);
  });

  it('uses limit 50 and offset 0 by default', async () => {
    const res = await site.client.badgesV2.queryBadges().find();
    assert.equal(res.items.length, 7);
    assert.equal(res.pageSize, 50);
    assert.equal(res.totalCount, 7);
    assert.equal(res.hasNext(), false);
    assert.deepEqual(new Set(res.items.map((b) => b._id)), new Set(created.map((b) => b._id)));
  });

  it('skip() moves the offset', async () => {
    const res = await site.client.badgesV2.queryBadges().ascending('title').limit(3).skip(6).find();
    assert.deepEqual(res.items.map((b) => b.title), ['Paged 07']);
    assert.equal(res.currentPage, 2);
    assert.equal(res.hasNext(), false);
    assert.equal(res.hasPrev(), true);
  });

  it('descending() on title and on _createdDate (sent as createdDate)', async () => {
    const byTitle = await site.client.badgesV2.queryBadges().descending('title').limit(2).find();
    assert.deepEqual(byTitle.items.map((b) => b.title), ['Paged 07', 'Paged 06']);
    const byDate = await site.client.badgesV2.queryBadges().descending('_createdDate').find();
    const times = byDate.items.map((b) => b._createdDate.getTime());
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i], 'createdDate descending');
    assert.equal(byDate.items.length, 7);
  });

  it('filters with eq(_id), startsWith(title), in(slug), ne(title)', async () => {
    const byId = await site.client.badgesV2.queryBadges().eq('_id', created[2]._id).find();
    assert.deepEqual(byId.items.map((b) => b._id), [created[2]._id]);
    assert.equal(byId.totalCount, 1);

    const prefix = await site.client.badgesV2.queryBadges().startsWith('title', 'Paged 0').ascending('title').find();
    assert.equal(prefix.items.length, 7);

    const slugs = [created[0].slug, created[4].slug];
    const bySlug = await site.client.badgesV2.queryBadges().in('slug', slugs).ascending('title').find();
    assert.deepEqual(bySlug.items.map((b) => b._id), [created[0]._id, created[4]._id]);

    const notOne = await site.client.badgesV2.queryBadges().ne('title', 'Paged 01').find();
    assert.equal(notOne.items.length, 6);
    assert.ok(!notOne.items.some((b) => b.title === 'Paged 01'));

    const both = await site.client.badgesV2
      .queryBadges()
      .startsWith('title', 'Paged')
      .in('_id', [created[1]._id, created[5]._id])
      .ascending('title')
      .find();
    assert.deepEqual(both.items.map((b) => b.title), ['Paged 02', 'Paged 06']);
  });

  it('only sees the calling site’s badges', async () => {
    const other = await server.newSite();
    await createV4Badges(other.client, 2, 'Elsewhere');
    const res = await site.client.badgesV2.queryBadges().find();
    assert.equal(res.totalCount, 7);
    const otherRes = await other.client.badgesV2.queryBadges().find();
    assert.equal(otherRes.totalCount, 2);
  });
});

describe('queryBadges: what BadgeQuerySpec declares', () => {
  let site;
  let made;
  before(async () => {
    site = await server.newSite();
    made = [];
    for (const [title, description, permissionsEnabled] of [
      ['Qx One', 'Quiet', true],
      ['qx two', '', false],
      ['QX Three', 'quick', true],
      ['Other', 'ÉTÉ', false],
    ]) {
      made.push(await site.client.badgesV2.createBadge({ title, description, permissionsEnabled, backgroundColor: '#112233', textColor: '#FFFFFF' }));
    }
  });
  const titles = (res) => res.items.map((b) => b.title);

  it('startsWith() ignores case, as its documentation says', async () => {
    const res = await site.client.badgesV2.queryBadges().startsWith('title', 'qx').ascending('title').find();
    assert.deepEqual(titles(res), ['QX Three', 'Qx One', 'qx two']);
    const byDescription = await site.client.badgesV2.queryBadges().startsWith('description', 'été').find();
    assert.deepEqual(titles(byDescription), ['Other']);
    // Other comparisons keep their case-sensitive meaning.
    const exact = await site.client.badgesV2.queryBadges().eq('title', 'qx one').find();
    assert.equal(exact.totalCount, 0);
  });

  it('filters and sorts on description and permissionsEnabled', async () => {
    const quiet = await site.client.badgesV2.queryBadges().eq('description', 'Quiet').find();
    assert.deepEqual(titles(quiet), ['Qx One']);
    const byDescription = await site.client.badgesV2.queryBadges().ascending('description').find();
    assert.deepEqual(titles(byDescription), ['qx two', 'Qx One', 'QX Three', 'Other']);
    const granted = await site.client.badgesV2.queryBadges().in('permissionsEnabled', [true]).ascending('title').find();
    assert.deepEqual(titles(granted), ['QX Three', 'Qx One']);
    const typed = await site.client.badgesV2.queryBadges({
      filter: { permissionsEnabled: { $in: [false] }, description: { $isEmpty: false } },
      sort: [{ fieldName: 'permissionsEnabled', order: 'DESC' }],
    });
    assert.deepEqual(typed.badges.map((b) => b.title), ['Other']);
    const flags = await site.client.badgesV2.queryBadges().descending('permissionsEnabled').find();
    assert.deepEqual(flags.items.map((b) => b.permissionsEnabled), [true, true, false, false]);
  });

  it('pages by id with gt() and matches id prefixes', async () => {
    const ids = made.map((b) => b._id).sort();
    const seen = [];
    let after = null;
    for (;;) {
      let q = site.client.badgesV2.queryBadges().ascending('_id').limit(2);
      if (after) q = q.gt('_id', after);
      const page = await q.find();
      if (page.items.length === 0) break;
      seen.push(...page.items.map((b) => b._id));
      after = page.items[page.items.length - 1]._id;
    }
    assert.deepEqual(seen, ids);
    const prefix = ids[2].slice(0, 8).toUpperCase();
    const starting = await site.client.badgesV2.queryBadges().startsWith('_id', prefix).find();
    assert.deepEqual(starting.items.map((b) => b._id).sort(), ids.filter((id) => id.startsWith(prefix.toLowerCase())));
  });
});

describe('queryBadges(query) typed', () => {
  let site;
  let created;
  before(async () => {
    site = await server.newSite();
    created = await createV4Badges(site.client, 7, 'Typed');
  });

  it('pages with cursorPaging through several pages', async () => {
    const first = await site.readClient.badgesV2.queryBadges({
      filter: { title: { $startsWith: 'Typed' } },
      sort: [{ fieldName: 'title', order: 'ASC' }],
      cursorPaging: { limit: 3 },
    });
    assert.deepEqual(first.badges.map((b) => b.title), ['Typed 01', 'Typed 02', 'Typed 03']);
    assert.equal(first.pagingMetadata.count, 3);
    assert.equal(first.pagingMetadata.hasNext, true);
    assert.equal(typeof first.pagingMetadata.cursors.next, 'string');
    assert.ok(first.pagingMetadata.cursors.next.length > 0);
    assert.ok(first.badges[0]._createdDate instanceof Date);
    assertGuid(first.badges[0]._id);

    const second = await site.readClient.badgesV2.queryBadges({
      cursorPaging: { limit: 3, cursor: first.pagingMetadata.cursors.next },
    });
    assert.deepEqual(second.badges.map((b) => b.title), ['Typed 04', 'Typed 05', 'Typed 06']);
    assert.equal(second.pagingMetadata.count, 3);
    assert.equal(second.pagingMetadata.hasNext, true);

    const third = await site.readClient.badgesV2.queryBadges({
      cursorPaging: { limit: 3, cursor: second.pagingMetadata.cursors.next },
    });
    assert.deepEqual(third.badges.map((b) => b.title), ['Typed 07']);
    assert.equal(third.pagingMetadata.count, 1);
    assert.equal(third.pagingMetadata.hasNext, false);
    assert.ok(!third.pagingMetadata.cursors?.next, 'no next cursor on the last page');
  });

  it('pages with offset paging and answers total', async () => {
    const res = await site.client.badgesV2.queryBadges({
      sort: [{ fieldName: 'title', order: 'ASC' }],
      paging: { limit: 3, offset: 3 },
    });
    assert.deepEqual(res.badges.map((b) => b.title), ['Typed 04', 'Typed 05', 'Typed 06']);
    assert.equal(res.pagingMetadata.count, 3);
    assert.equal(res.pagingMetadata.offset, 3);
    assert.equal(res.pagingMetadata.total, 7);
    assert.ok(!res.pagingMetadata.tooManyToCount);
  });

  it('renames _id in filters and _createdDate in sorts', async () => {
    const ids = [created[1]._id, created[3]._id];
    const res = await site.client.badgesV2.queryBadges({
      filter: { _id: { $in: ids } },
      sort: [{ fieldName: '_createdDate', order: 'ASC' }],
      cursorPaging: { limit: 10 },
    });
    assert.deepEqual(new Set(res.badges.map((b) => b._id)), new Set(ids));
    const times = res.badges.map((b) => b._createdDate.getTime());
    assert.ok(times[0] <= times[1], 'createdDate ascending');
  });

  it('supports $or, $and, $ne, $eq and slug filters', async () => {
    const res = await site.client.badgesV2.queryBadges({
      filter: {
        $or: [{ title: 'Typed 01' }, { slug: { $eq: created[6].slug } }],
        title: { $ne: 'Typed 02' },
      },
      sort: [{ fieldName: 'title', order: 'DESC' }],
      cursorPaging: { limit: 10 },
    });
    assert.deepEqual(res.badges.map((b) => b.title), ['Typed 07', 'Typed 01']);
    const none = await site.client.badgesV2.queryBadges({
      filter: { $and: [{ title: 'Typed 01' }, { title: 'Typed 02' }] },
      cursorPaging: { limit: 10 },
    });
    assert.equal(none.badges.length, 0);
    assert.equal(none.pagingMetadata.hasNext, false);
  });
});

describe('updateBadgesDisplayOrder', () => {
  it('returns the badges in the new order, which the legacy list follows', async () => {
    const { client } = await server.newSite();
    const [a, b, c] = await createV4Badges(client, 3, 'Order');
    const res = await client.badgesV2.updateBadgesDisplayOrder([c._id, a._id, b._id]);
    assert.deepEqual(res.badges.map((x) => x._id), [c._id, a._id, b._id]);
    assert.ok(res.badges[0]._createdDate instanceof Date);
    assert.equal(res.badges[0].title, 'Order 03');
    assert.deepEqual(await displayOrder(client), [c._id, a._id, b._id]);

    const res2 = await client.badgesV2.updateBadgesDisplayOrder([b._id, c._id, a._id]);
    assert.deepEqual(res2.badges.map((x) => x._id), [b._id, c._id, a._id]);
    assert.deepEqual(await displayOrder(client), [b._id, c._id, a._id]);
  });

  it('rejects an empty list with 400', async () => {
    const { client } = await server.newSite();
    await expectInvalid(client.badgesV2.updateBadgesDisplayOrder([]), 'ids');
  });

  it('rejects more than 100 ids with 400', async () => {
    const { client } = await server.newSite();
    const ids = Array.from({ length: 101 }, () => randomId());
    await expectInvalid(client.badgesV2.updateBadgesDisplayOrder(ids), 'ids');
  });

  it('is refused with 403 for a read-only key', async () => {
    const { client, readClient } = await server.newSite();
    const [a, b] = await createV4Badges(client, 2, 'RO');
    await expectForbidden(readClient.badgesV2.updateBadgesDisplayOrder([b._id, a._id]));
  });
});

describe('moveBadge', () => {
  it('moves a badge FIRST, LAST and AFTER another (resolves undefined)', async () => {
    const { client } = await server.newSite();
    const [a, b, c] = await createV4Badges(client, 3, 'Move');
    await client.badgesV2.updateBadgesDisplayOrder([a._id, b._id, c._id]);

    assert.equal(await client.badgesV2.moveBadge(c._id, { position: 'FIRST' }), undefined);
    assert.deepEqual(await displayOrder(client), [c._id, a._id, b._id]);

    await client.badgesV2.moveBadge(c._id, { position: 'LAST' });
    assert.deepEqual(await displayOrder(client), [a._id, b._id, c._id]);

    await client.badgesV2.moveBadge(a._id, { position: 'AFTER', moveAfterBadgeId: b._id });
    assert.deepEqual(await displayOrder(client), [b._id, a._id, c._id]);

    await client.badgesV2.moveBadge(c._id, { position: 'AFTER', moveAfterBadgeId: b._id });
    assert.deepEqual(await displayOrder(client), [b._id, c._id, a._id]);
  });

  it('answers 404 for an unknown badge', async () => {
    const { client } = await server.newSite();
    await expectNotFound(client.badgesV2.moveBadge(randomId(), { position: 'FIRST' }));
  });

  it('rejects moving a badge AFTER itself with 400 and leaves the order alone', async () => {
    const { client } = await server.newSite();
    const [a, b] = await createV4Badges(client, 2, 'Self');
    await expectInvalid(client.badgesV2.moveBadge(a._id, { position: 'AFTER', moveAfterBadgeId: a._id }), 'moveAfterBadgeId');
    assert.deepEqual(await displayOrder(client), [a._id, b._id]);
  });

  it('rejects AFTER without moveAfterBadgeId with 400', async () => {
    const { client } = await server.newSite();
    const [a] = await createV4Badges(client, 2, 'After');
    await expectInvalid(client.badgesV2.moveBadge(a._id, { position: 'AFTER' }));
  });

  it('fails AFTER an unknown badge (400 or 404)', async () => {
    const { client } = await server.newSite();
    const [a] = await createV4Badges(client, 2, 'AfterX');
    const err = await rejects(client.badgesV2.moveBadge(a._id, { position: 'AFTER', moveAfterBadgeId: randomId() }));
    assert.ok([400, 404].includes(err.status), `status 400 or 404, got ${err.status}`);
    if (err.status === 404) assertAppError(err, 404, /(^|_)NOT_FOUND$/);
  });

  it('is refused with 403 for a read-only key', async () => {
    const { client, readClient } = await server.newSite();
    const [a] = await createV4Badges(client, 2, 'MoveRO');
    await expectForbidden(readClient.badgesV2.moveBadge(a._id, { position: 'LAST' }));
  });
});
