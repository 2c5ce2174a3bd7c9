// Conformance: Badge Assignments (`badgeAssignments` module of @wix/members) against Insignia.
// Wire reference: docs/sdk-wire.md §4 and shared spec "Badge Assignments methods".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startServer,
  rejects,
  expectAppError,
  expectNotFound,
  expectForbidden,
  expectInvalid,
  assertGuid,
  assertRecentDate,
  createV4Badges,
  randomId,
  NOT_FOUND,
} from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const sorted = (arr) => [...arr].sort();

/** All assignments of a badge, through typed cursor queries. */
async function assignmentsOf(client, badgeId) {
  const out = [];
  let res = await client.badgeAssignments.queryBadgeAssignments({ filter: { badgeId }, cursorPaging: { limit: 100 } });
  out.push(...res.badgeAssignments);
  while (res.pagingMetadata?.cursors?.next) {
    res = await client.badgeAssignments.queryBadgeAssignments({ cursorPaging: { limit: 100, cursor: res.pagingMetadata.cursors.next } });
    out.push(...res.badgeAssignments);
  }
  return out;
}

/** A 400 or 404 for a reference to a badge that does not exist (the spec names no status). */
function assertMissingBadgeError(err) {
  assert.ok([400, 404].includes(err.status), `status 400 or 404, got ${err.status} ${JSON.stringify(err.details)}`);
  if (err.status === 404) {
    assert.match(err.details?.applicationError?.code ?? '', NOT_FOUND);
  } else {
    assert.ok(err.details?.validationError || err.details?.applicationError?.code === 'INVALID_ARGUMENT', JSON.stringify(err.details));
  }
}

describe('createBadgeAssignment', () => {
  it('returns the assignment with id, badgeId, memberId, dates and tags', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'Assign');
    const memberId = randomId();
    const startedAt = Date.now() - 5_000;
    const a = await client.badgeAssignments.createBadgeAssignment({
      badgeId: badge._id,
      memberId,
      tags: { tags: { tagIds: ['vip'] } },
    });
    assertGuid(a._id, 'assignment._id');
    assert.equal(a.id, undefined, 'the SDK renames id to _id');
    assert.equal(a.badgeId, badge._id);
    assert.equal(a.memberId, memberId);
    assertRecentDate(a._createdDate, '_createdDate', { after: startedAt });
    assertRecentDate(a._updatedDate, '_updatedDate', { after: startedAt });
    assert.deepEqual(a.tags?.tags?.tagIds, ['vip']);
    assert.deepEqual(a.tags?.privateTags?.tagIds ?? [], []);
  });

  it('keeps extendedFields', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'Ext');
    const a = await client.badgeAssignments.createBadgeAssignment({
      badgeId: badge._id,
      memberId: randomId(),
      extendedFields: { namespaces: { _user_fields: { level: 'gold', points: 12 } } },
    });
    assert.deepEqual(a.extendedFields?.namespaces?._user_fields, { level: 'gold', points: 12 });
  });

  it('answers 409 ALREADY_EXISTS for the same badge and member, and keeps one row', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'Dup');
    const memberId = randomId();
    const first = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId });
    await expectAppError(client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId }), 409, 'ALREADY_EXISTS');
    const rows = await assignmentsOf(client, badge._id);
    assert.deepEqual(rows.map((r) => r._id), [first._id]);
  });

  it('fails for a badge that does not exist or belongs to another site', async () => {
    const { client } = await server.newSite();
    assertMissingBadgeError(await rejects(client.badgeAssignments.createBadgeAssignment({ badgeId: randomId(), memberId: randomId() })));
    const other = await server.newSite();
    const [foreign] = await createV4Badges(other.client, 1, 'Foreign');
    assertMissingBadgeError(await rejects(client.badgeAssignments.createBadgeAssignment({ badgeId: foreign._id, memberId: randomId() })));
    assert.equal((await assignmentsOf(other.client, foreign._id)).length, 0);
  });

  it('rejects a missing memberId or badgeId with 400', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'Missing');
    await expectInvalid(client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id }), 'memberId');
    await expectInvalid(client.badgeAssignments.createBadgeAssignment({ memberId: randomId() }), 'badgeId');
  });

  it('rejects a memberId that is not a GUID with 400', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'NotGuid');
    await expectInvalid(client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: 'member-1' }), 'memberId');
  });

  it('is refused with 403 for a read-only key', async () => {
    const { client, readClient } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'RO');
    await expectForbidden(readClient.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() }));
    assert.equal((await assignmentsOf(client, badge._id)).length, 0);
  });
});

describe('bulkCreateBadgeAssignments', () => {
  it('creates every item and returns entities when returnEntity is true', async () => {
    const { client } = await server.newSite();
    const [b1, b2] = await createV4Badges(client, 2, 'Bulk');
    const m1 = randomId();
    const m2 = randomId();
    const input = [
      { badgeId: b1._id, memberId: m1 },
      { badgeId: b2._id, memberId: m1 },
      { badgeId: b1._id, memberId: m2, tags: { privateTags: { tagIds: ['p1'] } } },
    ];
    const res = await client.badgeAssignments.bulkCreateBadgeAssignments(input, { returnEntity: true });
    assert.equal(res.results.length, 3);
    res.results.forEach((r, i) => {
      assert.equal(r.itemMetadata.originalIndex, i);
      assert.equal(r.itemMetadata.success, true);
      assert.ok(!r.itemMetadata.error);
      assertGuid(r.itemMetadata._id, 'itemMetadata._id (renamed from id)');
      assert.equal(r.item._id, r.itemMetadata._id);
      assert.equal(r.item.badgeId, input[i].badgeId);
      assert.equal(r.item.memberId, input[i].memberId);
      assert.ok(r.item._createdDate instanceof Date, 'item._createdDate is a Date');
    });
    assert.deepEqual(res.results[2].item.tags?.privateTags?.tagIds, ['p1']);
    assert.deepEqual(res.bulkActionMetadata, { totalSuccesses: 3, totalFailures: 0, undetailedFailures: 0 });
    assert.deepEqual(sorted((await assignmentsOf(client, b1._id)).map((a) => a.memberId)), sorted([m1, m2]));
  });

  it('omits item when returnEntity is not set', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'NoEntity');
    const res = await client.badgeAssignments.bulkCreateBadgeAssignments([{ badgeId: badge._id, memberId: randomId() }]);
    assert.equal(res.results.length, 1);
    assert.equal(res.results[0].itemMetadata.success, true);
    assertGuid(res.results[0].itemMetadata._id);
    assert.equal(res.results[0].item, undefined);
    const res2 = await client.badgeAssignments.bulkCreateBadgeAssignments([{ badgeId: badge._id, memberId: randomId() }], { returnEntity: false });
    assert.equal(res2.results[0].item, undefined);
  });

  it('fails duplicates item by item with ALREADY_EXISTS and never writes a second row', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'BulkDup');
    const existing = randomId();
    const fresh = randomId();
    await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: existing });
    const res = await client.badgeAssignments.bulkCreateBadgeAssignments(
      [
        { badgeId: badge._id, memberId: fresh },
        { badgeId: badge._id, memberId: existing },
        { badgeId: badge._id, memberId: fresh },
      ],
      { returnEntity: true },
    );
    assert.equal(res.results.length, 3);
    assert.deepEqual(res.results.map((r) => r.itemMetadata.originalIndex), [0, 1, 2]);
    assert.deepEqual(res.results.map((r) => r.itemMetadata.success), [true, false, false]);
    for (const r of res.results.slice(1)) {
      assert.equal(r.itemMetadata.error.code, 'ALREADY_EXISTS');
      assert.equal(typeof r.itemMetadata.error.description, 'string');
      assert.equal(r.item, undefined);
    }
    assert.equal(res.bulkActionMetadata.totalSuccesses, 1);
    assert.equal(res.bulkActionMetadata.totalFailures, 2);
    assert.equal(res.bulkActionMetadata.undetailedFailures, 0);
    assert.deepEqual(sorted((await assignmentsOf(client, badge._id)).map((a) => a.memberId)), sorted([existing, fresh]));
  });

  it('fails an item whose badge does not exist, and keeps the others', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'BulkMissing');
    const res = await client.badgeAssignments.bulkCreateBadgeAssignments([
      { badgeId: randomId(), memberId: randomId() },
      { badgeId: badge._id, memberId: randomId() },
    ]);
    assert.equal(res.results[0].itemMetadata.success, false);
    assert.equal(typeof res.results[0].itemMetadata.error.code, 'string');
    assert.ok(res.results[0].itemMetadata.error.code.length > 0);
    assert.equal(res.results[1].itemMetadata.success, true);
    assert.equal(res.bulkActionMetadata.totalSuccesses, 1);
    assert.equal(res.bulkActionMetadata.totalFailures, 1);
  });

  it('refuses the whole call with 400 when an item breaks the declared format, applying nothing', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'BulkFormat');
    const good = () => ({ badgeId: badge._id, memberId: randomId() });
    for (const [bad, field] of [
      [{ badgeId: badge._id, memberId: 'bob' }, 'memberId'],
      [{ badgeId: badge._id }, 'memberId'],
      [{ memberId: randomId() }, 'badgeId'],
      [{ badgeId: 'not-a-guid', memberId: randomId() }, 'badgeId'],
    ]) {
      const err = await expectInvalid(client.badgeAssignments.bulkCreateBadgeAssignments([good(), bad, good()]), field);
      const fields = err.details.validationError.fieldViolations.map((v) => v.field);
      assert.ok(fields.some((f) => f.includes('badgeAssignments') && f.includes('1')), `the item is named by index: ${fields}`);
    }
    assert.equal((await assignmentsOf(client, badge._id)).length, 0);
  });

  it('rejects an empty list and more than 100 items with 400', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'BulkLimit');
    await expectInvalid(client.badgeAssignments.bulkCreateBadgeAssignments([]), 'badgeAssignments');
    const many = Array.from({ length: 101 }, () => ({ badgeId: badge._id, memberId: randomId() }));
    await expectInvalid(client.badgeAssignments.bulkCreateBadgeAssignments(many), 'badgeAssignments');
    assert.equal((await assignmentsOf(client, badge._id)).length, 0);
    const hundred = many.slice(0, 100);
    const ok = await client.badgeAssignments.bulkCreateBadgeAssignments(hundred);
    assert.equal(ok.bulkActionMetadata.totalSuccesses, 100);
  });

  it('is refused with 403 for a read-only key', async () => {
    const { client, readClient } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'BulkRO');
    await expectForbidden(readClient.badgeAssignments.bulkCreateBadgeAssignments([{ badgeId: badge._id, memberId: randomId() }]));
  });
});

describe('deleteBadgeAssignment', () => {
  it('deletes the assignment (resolves undefined); a second delete is 404', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'Del');
    const a = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() });
    const b = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() });
    assert.equal(await client.badgeAssignments.deleteBadgeAssignment(a._id), undefined);
    assert.deepEqual((await assignmentsOf(client, badge._id)).map((x) => x._id), [b._id]);
    await expectNotFound(client.badgeAssignments.deleteBadgeAssignment(a._id));
  });

  it('allows assigning the same member again after a delete', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'Again');
    const memberId = randomId();
    const a = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId });
    await client.badgeAssignments.deleteBadgeAssignment(a._id);
    const again = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId });
    assert.notEqual(again._id, a._id);
  });

  it('answers 404 for an unknown id or another site’s assignment, 403 for a read-only key', async () => {
    const { client, readClient } = await server.newSite();
    await expectNotFound(client.badgeAssignments.deleteBadgeAssignment(randomId()));
    const [badge] = await createV4Badges(client, 1, 'DelRO');
    const a = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() });
    await expectForbidden(readClient.badgeAssignments.deleteBadgeAssignment(a._id));
    const other = await server.newSite();
    await expectNotFound(other.client.badgeAssignments.deleteBadgeAssignment(a._id));
    assert.equal((await assignmentsOf(client, badge._id)).length, 1);
  });
});

describe('bulkDeleteBadgeAssignments', () => {
  it('deletes known ids and reports unknown ones per item', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'BulkDel');
    const a = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() });
    const b = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() });
    const c = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() });
    const unknown = randomId();
    const res = await client.badgeAssignments.bulkDeleteBadgeAssignments([a._id, unknown, c._id]);
    assert.equal(res.results.length, 3);
    assert.deepEqual(res.results.map((r) => r.itemMetadata.originalIndex), [0, 1, 2]);
    assert.deepEqual(res.results.map((r) => r.itemMetadata.success), [true, false, true]);
    assert.equal(res.results[0].itemMetadata._id, a._id);
    assert.equal(res.results[2].itemMetadata._id, c._id);
    assert.match(res.results[1].itemMetadata.error.code, NOT_FOUND);
    assert.deepEqual(res.bulkActionMetadata, { totalSuccesses: 2, totalFailures: 1, undetailedFailures: 0 });
    assert.deepEqual((await assignmentsOf(client, badge._id)).map((x) => x._id), [b._id]);
  });

  it('rejects an empty list and more than 100 ids with 400; 403 for a read-only key', async () => {
    const { client, readClient } = await server.newSite();
    await expectInvalid(client.badgeAssignments.bulkDeleteBadgeAssignments([]), 'badgeAssignmentIds');
    await expectInvalid(
      client.badgeAssignments.bulkDeleteBadgeAssignments(Array.from({ length: 101 }, () => randomId())),
      'badgeAssignmentIds',
    );
    await expectForbidden(readClient.badgeAssignments.bulkDeleteBadgeAssignments([randomId()]));
  });
});

describe('queryBadgeAssignments() builder (cursor paging)', () => {
  let site;
  let badge;
  let other;
  let members;
  before(async () => {
    site = await server.newSite();
    [badge, other] = await createV4Badges(site.client, 2, 'Query');
    members = Array.from({ length: 7 }, () => randomId());
    await site.client.badgeAssignments.bulkCreateBadgeAssignments(members.map((memberId) => ({ badgeId: badge._id, memberId })));
    await site.client.badgeAssignments.createBadgeAssignment({ badgeId: other._id, memberId: members[0] });
  });

  it('pages with find() / hasNext() / next() using cursors.next', async () => {
    const p1 = await site.readClient.badgeAssignments.queryBadgeAssignments().eq('badgeId', badge._id).ascending('memberId').limit(3).find();
    const expected = sorted(members);
    assert.deepEqual(p1.items.map((a) => a.memberId), expected.slice(0, 3));
    assert.equal(p1.length, 3);
    assert.equal(p1.pageSize, 3);
    assert.equal(p1.hasNext(), true);
    assert.equal(typeof p1.cursors.next, 'string');
    assertGuid(p1.items[0]._id);
    assert.ok(p1.items[0]._createdDate instanceof Date);
    assert.equal(p1.items[0].badgeId, badge._id);

    const p2 = await p1.next();
    assert.deepEqual(p2.items.map((a) => a.memberId), expected.slice(3, 6));
    assert.equal(p2.hasNext(), true);

    const p3 = await p2.next();
    assert.deepEqual(p3.items.map((a) => a.memberId), expected.slice(6));
    assert.equal(p3.hasNext(), false, 'no cursors.next on the last page');
    await assert.rejects(p3.next(), /No next page/);
  });

  it('uses limit 50 by default and filters by memberId', async () => {
    const all = await site.client.badgeAssignments.queryBadgeAssignments().find();
    assert.equal(all.pageSize, 50);
    assert.equal(all.items.length, 8);
    assert.equal(all.hasNext(), false);

    const byMember = await site.client.badgeAssignments.queryBadgeAssignments().eq('memberId', members[0]).find();
    assert.deepEqual(sorted(byMember.items.map((a) => a.badgeId)), sorted([badge._id, other._id]));
  });

  it('skipTo(cursor) continues where a typed query left off', async () => {
    const first = await site.client.badgeAssignments.queryBadgeAssignments({
      filter: { badgeId: badge._id },
      sort: [{ fieldName: 'memberId', order: 'ASC' }],
      cursorPaging: { limit: 4 },
    });
    const rest = await site.client.badgeAssignments.queryBadgeAssignments().limit(4).skipTo(first.pagingMetadata.cursors.next).find();
    assert.deepEqual(rest.items.map((a) => a.memberId), sorted(members).slice(4));
    assert.equal(rest.hasNext(), false);
  });

  it('supports in(), ne() and descending(_createdDate)', async () => {
    const inRes = await site.client.badgeAssignments.queryBadgeAssignments().in('memberId', [members[1], members[2]]).find();
    assert.deepEqual(sorted(inRes.items.map((a) => a.memberId)), sorted([members[1], members[2]]));
    const neRes = await site.client.badgeAssignments.queryBadgeAssignments().ne('badgeId', badge._id).find();
    assert.deepEqual(neRes.items.map((a) => a.badgeId), [other._id]);
    const byDate = await site.client.badgeAssignments.queryBadgeAssignments().descending('_createdDate').find();
    const times = byDate.items.map((a) => a._createdDate.getTime());
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i], 'createdDate descending');
  });

  it('only sees the calling site’s assignments', async () => {
    const stranger = await server.newSite();
    const res = await stranger.client.badgeAssignments.queryBadgeAssignments().eq('badgeId', badge._id).find();
    assert.equal(res.items.length, 0);
    assert.equal(res.hasNext(), false);
  });
});

describe('queryBadgeAssignments: newest first, and what BadgeAssignmentQuerySpec declares', () => {
  let site;
  let badge;
  let made;
  before(async () => {
    site = await server.newSite();
    [badge] = await createV4Badges(site.client, 1, 'Order');
    made = [];
    for (let i = 0; i < 5; i++) {
      made.push(await site.client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() }));
      await new Promise((r) => setTimeout(r, 3)); // distinct creation times
    }
  });

  it('answers newest first without a sort, and pages both ways in that order', async () => {
    const newestFirst = made.map((a) => a._id).reverse();
    const all = await site.client.badgeAssignments.queryBadgeAssignments().find();
    assert.deepEqual(all.items.map((a) => a._id), newestFirst);
    const p1 = await site.client.badgeAssignments.queryBadgeAssignments().eq('badgeId', badge._id).limit(2).find();
    const p2 = await p1.next();
    const p3 = await p2.next();
    assert.deepEqual([...p1.items, ...p2.items, ...p3.items].map((a) => a._id), newestFirst);
    assert.equal(p3.hasNext(), false);
    const back = await p3.prev();
    assert.deepEqual(back.items.map((a) => a._id), newestFirst.slice(2, 4));
    const first = await back.prev();
    assert.deepEqual(first.items.map((a) => a._id), newestFirst.slice(0, 2));
    assert.equal(first.hasPrev(), false);
  });

  it('pages by memberId with gt() and matches memberId prefixes in any case', async () => {
    const members = made.map((a) => a.memberId).sort();
    const seen = [];
    let after = null;
    for (;;) {
      let q = site.client.badgeAssignments.queryBadgeAssignments().eq('badgeId', badge._id).ascending('memberId').limit(2);
      if (after) q = q.gt('memberId', after);
      const page = await q.find();
      if (page.items.length === 0) break;
      seen.push(...page.items.map((a) => a.memberId));
      after = page.items[page.items.length - 1].memberId;
    }
    assert.deepEqual(seen, members);
    const prefix = members[1].slice(0, 4).toUpperCase();
    const starting = await site.client.badgeAssignments.queryBadgeAssignments().startsWith('memberId', prefix).find();
    assert.deepEqual(
      starting.items.map((a) => a.memberId).sort(),
      members.filter((m) => m.startsWith(prefix.toLowerCase())),
    );
  });
});

describe('queryBadgeAssignments(query) typed', () => {
  let site;
  let badge;
  let members;
  before(async () => {
    site = await server.newSite();
    [badge] = await createV4Badges(site.client, 1, 'TypedQ');
    members = Array.from({ length: 5 }, () => randomId());
    for (const [i, memberId] of members.entries()) {
      await site.client.badgeAssignments.createBadgeAssignment({
        badgeId: badge._id,
        memberId,
        tags: i % 2 === 0 ? { tags: { tagIds: ['even'] } } : { privateTags: { tagIds: ['odd'] } },
      });
    }
  });

  it('pages with cursorPaging through several pages', async () => {
    const expected = sorted(members);
    const p1 = await site.readClient.badgeAssignments.queryBadgeAssignments({
      filter: { badgeId: badge._id },
      sort: [{ fieldName: 'memberId', order: 'ASC' }],
      cursorPaging: { limit: 2 },
    });
    assert.deepEqual(p1.badgeAssignments.map((a) => a.memberId), expected.slice(0, 2));
    assert.equal(p1.pagingMetadata.count, 2);
    assert.equal(p1.pagingMetadata.hasNext, true);
    assert.equal(typeof p1.pagingMetadata.cursors.next, 'string');
    assert.ok(p1.badgeAssignments[0]._createdDate instanceof Date);

    const p2 = await site.readClient.badgeAssignments.queryBadgeAssignments({ cursorPaging: { limit: 2, cursor: p1.pagingMetadata.cursors.next } });
    assert.deepEqual(p2.badgeAssignments.map((a) => a.memberId), expected.slice(2, 4));
    assert.equal(p2.pagingMetadata.hasNext, true);

    const p3 = await site.readClient.badgeAssignments.queryBadgeAssignments({ cursorPaging: { limit: 2, cursor: p2.pagingMetadata.cursors.next } });
    assert.deepEqual(p3.badgeAssignments.map((a) => a.memberId), expected.slice(4));
    assert.equal(p3.pagingMetadata.count, 1);
    assert.equal(p3.pagingMetadata.hasNext, false);
    assert.ok(!p3.pagingMetadata.cursors?.next);
  });

  it('filters on tags with $hasSome / $hasAll', async () => {
    const even = await site.client.badgeAssignments.queryBadgeAssignments({
      filter: { 'tags.tags.tagIds': { $hasSome: ['even', 'nope'] } },
      cursorPaging: { limit: 100 },
    });
    assert.deepEqual(sorted(even.badgeAssignments.map((a) => a.memberId)), sorted([members[0], members[2], members[4]]));
    const odd = await site.client.badgeAssignments.queryBadgeAssignments({
      filter: { 'tags.privateTags.tagIds': { $hasAll: ['odd'] } },
      cursorPaging: { limit: 100 },
    });
    assert.deepEqual(sorted(odd.badgeAssignments.map((a) => a.memberId)), sorted([members[1], members[3]]));
  });

  it('renames _id in filters and _createdDate in sorts', async () => {
    const all = await site.client.badgeAssignments.queryBadgeAssignments({
      filter: { badgeId: badge._id },
      sort: [{ fieldName: '_createdDate', order: 'ASC' }],
      cursorPaging: { limit: 100 },
    });
    assert.equal(all.badgeAssignments.length, 5);
    const times = all.badgeAssignments.map((a) => a._createdDate.getTime());
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] <= times[i], 'createdDate ascending');
    const pick = all.badgeAssignments[3]._id;
    const one = await site.client.badgeAssignments.queryBadgeAssignments({ filter: { _id: pick }, cursorPaging: { limit: 10 } });
    assert.deepEqual(one.badgeAssignments.map((a) => a._id), [pick]);
  });

  it('rejects cursorPaging.limit over 100 with 400', async () => {
    await expectInvalid(
      site.client.badgeAssignments.queryBadgeAssignments({ filter: {}, cursorPaging: { limit: 101 } }),
    );
  });
});

describe('bulkUpdateBadgeAssignmentTags', () => {
  it('assigns and unassigns tags per item and reports unknown ids', async () => {
    const { client } = await server.newSite();
    const [badge] = await createV4Badges(client, 1, 'Tags');
    const a = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId(), tags: { tags: { tagIds: ['old', 'keep'] } } });
    const b = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() });
    const unknown = randomId();
    const res = await client.badgeAssignments.bulkUpdateBadgeAssignmentTags([a._id, b._id, unknown], {
      assignTags: { tags: { tagIds: ['new', 'both'] }, privateTags: { tagIds: ['sec'] } },
      unassignTags: { tags: { tagIds: ['old', 'both'] } },
    });
    assert.equal(res.results.length, 3);
    assert.deepEqual(res.results.map((r) => r.itemMetadata.originalIndex), [0, 1, 2]);
    assert.deepEqual(res.results.map((r) => r.itemMetadata.success), [true, true, false]);
    assert.equal(res.results[0].itemMetadata._id, a._id);
    assert.equal(res.results[1].itemMetadata._id, b._id);
    assert.match(res.results[2].itemMetadata.error.code, NOT_FOUND);
    assert.deepEqual(res.bulkActionMetadata, { totalSuccesses: 2, totalFailures: 1, undetailedFailures: 0 });

    const rows = Object.fromEntries((await assignmentsOf(client, badge._id)).map((x) => [x._id, x]));
    // A tag in both lists ends up assigned.
    assert.deepEqual(sorted(rows[a._id].tags.tags.tagIds), ['both', 'keep', 'new']);
    assert.deepEqual(rows[a._id].tags.privateTags.tagIds, ['sec']);
    assert.deepEqual(sorted(rows[b._id].tags.tags.tagIds), ['both', 'new']);
    assert.deepEqual(rows[b._id].tags.privateTags.tagIds, ['sec']);
  });

  it('rejects an empty id list with 400 and a read-only key with 403', async () => {
    const { client, readClient } = await server.newSite();
    await expectInvalid(client.badgeAssignments.bulkUpdateBadgeAssignmentTags([], { assignTags: { tags: { tagIds: ['x'] } } }), 'ids');
    const [badge] = await createV4Badges(client, 1, 'TagsRO');
    const a = await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: randomId() });
    await expectForbidden(readClient.badgeAssignments.bulkUpdateBadgeAssignmentTags([a._id], { assignTags: { tags: { tagIds: ['x'] } } }));
  });
});

describe('bulkUpdateBadgeAssignmentTagsByFilter', () => {
  it('returns a job id and tags every matching assignment', async () => {
    const { client } = await server.newSite();
    const [target, untouched] = await createV4Badges(client, 2, 'ByFilter');
    const memberIds = [randomId(), randomId(), randomId()];
    for (const memberId of memberIds) {
      await client.badgeAssignments.createBadgeAssignment({ badgeId: target._id, memberId, tags: { tags: { tagIds: ['gone'] } } });
    }
    const spare = await client.badgeAssignments.createBadgeAssignment({ badgeId: untouched._id, memberId: memberIds[0] });
    const res = await client.badgeAssignments.bulkUpdateBadgeAssignmentTagsByFilter(
      { badgeId: target._id },
      { assignTags: { tags: { tagIds: ['club'] } }, unassignTags: { tags: { tagIds: ['gone'] } } },
    );
    assertGuid(res.jobId, 'jobId');

    // The job may run asynchronously: wait up to 10 s for it to finish.
    const deadline = Date.now() + 10_000;
    let rows;
    for (;;) {
      rows = await assignmentsOf(client, target._id);
      if (rows.every((r) => (r.tags?.tags?.tagIds ?? []).includes('club'))) break;
      assert.ok(Date.now() < deadline, 'bulkUpdateBadgeAssignmentTagsByFilter did not tag the assignments within 10 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const r of rows) assert.deepEqual(r.tags.tags.tagIds, ['club']);
    const spareNow = (await assignmentsOf(client, untouched._id)).find((r) => r._id === spare._id);
    assert.ok(!(spareNow.tags?.tags?.tagIds ?? []).includes('club'), 'assignments outside the filter are untouched');
  });

  it('is refused with 403 for a read-only key', async () => {
    const { readClient } = await server.newSite();
    await expectForbidden(readClient.badgeAssignments.bulkUpdateBadgeAssignmentTagsByFilter({}, { assignTags: { tags: { tagIds: ['x'] } } }));
  });
});
