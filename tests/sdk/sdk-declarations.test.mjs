// Generated from the SDK's own declarations (see declarations.mjs): every
// field a module's QuerySpec declares, with every operator its type takes,
// through typed queries and through each query-builder method that names
// it; sorting on every declared field in both directions; the builder's
// documented default order; and the `@requiredField` / `@format GUID` rules
// of the create calls. Expected rows come from an evaluator of the query
// rules over the entities the test made; an operator it has no rule for
// fails, so a newer SDK that declares more fails here until the server (and
// this evaluator) follow.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, expectInvalid, randomId } from './harness.mjs';
import { operatorsByType, queryDeclarations, requiredFields, writableGuidFields } from './declarations.mjs';

const OPERATORS = operatorsByType();
const BADGES = queryDeclarations('@wix/auto_sdk_members_badges-v-2');
const ASSIGNMENTS = queryDeclarations('@wix/auto_sdk_members_badge-assignments');

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

// ---------------------------------------------------------------- the rules

/** Code-point order (JavaScript's `<` compares UTF-16 units, which differs above U+FFFF). */
function compareText(a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(x.length - y.length);
}

/** A field's value in a form that compares: GUIDs as lower-case text, dates as times. */
function comparable(field, value) {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.getTime();
  if (field.guid) return String(value).toLowerCase();
  return value;
}

function compare(a, b) {
  if (typeof a === 'string') return compareText(a, b);
  return Math.sign(Number(a) - Number(b));
}

/** The test data is ASCII and Latin-1 letters, where lower-casing is case folding. */
const fold = (text) => String(text).toLowerCase();

/** Whether `value` (an entity's field) satisfies `{op: operand}`. */
function holds(field, op, value, operand) {
  const have = comparable(field, value);
  const want = Array.isArray(operand) ? operand.map((o) => comparable(field, o)) : comparable(field, operand);
  switch (op) {
    case '$eq':
      return have === want;
    case '$ne':
      return have !== want;
    case '$gt':
      return have !== null && compare(have, want) > 0;
    case '$gte':
      return have !== null && compare(have, want) >= 0;
    case '$lt':
      return have !== null && compare(have, want) < 0;
    case '$lte':
      return have !== null && compare(have, want) <= 0;
    case '$in':
      return want.includes(have);
    case '$nin':
      return !want.includes(have);
    case '$exists':
      return (have !== null) === operand;
    case '$isEmpty':
      return (have === null || have === '') === operand;
    case '$startsWith':
      return have !== null && fold(have).startsWith(fold(operand));
    default:
      assert.fail(`no rule for ${op}: an SDK that declares it needs the server, and this test, to follow`);
  }
}

/** Operands to try `op` with on a field, chosen from the values the entities hold. */
function operandsFor(field, op, rows, name) {
  const values = [...new Set(rows.map((r) => r[name]).filter((v) => v !== undefined && v !== null))];
  values.sort((a, b) => compare(comparable(field, a), comparable(field, b)));
  const mid = values[Math.floor(values.length / 2)];
  const swapCase = (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
  switch (op) {
    case '$exists':
    case '$isEmpty':
      return [true, false];
    case '$in':
    case '$nin':
      return [[values[0], mid]];
    case '$startsWith':
      // In the other letter case: the builder documents the match as case-insensitive.
      return [swapCase(String(mid).slice(0, field.guid ? 6 : 3))];
    default:
      return field.type === 'boolean' ? [true, false] : [mid];
  }
}

/** What `operators: '*'` or a list means for one field. */
function declaredOperators(group, field) {
  if (group.operators !== '*') return group.operators;
  const ops = OPERATORS[field.type];
  assert.ok(ops, `no operators known for type ${field.type}`);
  return ops;
}

const BUILDER_OPS = { eq: '$eq', ne: '$ne', ge: '$gte', gt: '$gt', le: '$lte', lt: '$lt', startsWith: '$startsWith', in: '$in', exists: '$exists' };

// ---------------------------------------------------------------- running queries

/** A module, the entities the test made, and how to ask for them. */
function moduleUnderTest(declared, { module, items, seed }) {
  const state = { rows: [], client: null };
  const paging = declared.spec.paging === 'cursor' ? 'cursorPaging' : 'paging';

  async function typed(query) {
    const res = await state.client[module][declared.queryFunction]({ ...query, [paging]: { limit: 100 } });
    return res[items];
  }

  async function built(chain) {
    const res = await chain(state.client[module][declared.queryFunction]()).limit(100).find();
    return res.items;
  }

  const ids = (list) => list.map((x) => x._id);
  const sortedIds = (list) => ids(list).sort();

  /** The order the rules give: the key, then the id the same way. */
  function expectedOrder(name, order) {
    const field = declared.fields[name];
    const dir = order === 'DESC' ? -1 : 1;
    return [...state.rows]
      .sort((a, b) => {
        const byKey = compare(comparable(field, a[name]), comparable(field, b[name]));
        return dir * (byKey || compareText(a._id, b._id));
      })
      .map((r) => r._id);
  }

  return { module, declared, state, typed, built, ids, sortedIds, expectedOrder, seed };
}

function generate(title, m) {
  const { declared } = m;
  describe(`${title}: what ${declared.spec.name} and the builder declare`, () => {
    before(async () => {
      const site = await server.newSite();
      m.state.client = site.client;
      m.state.rows = await m.seed(site.client);
      assert.ok(m.state.rows.length >= 4, 'enough entities to tell operators apart');
    });

    for (const group of declared.spec.groups) {
      for (const name of group.fields) {
        const field = declared.fields[name];
        it(`declares ${name} as a field of ${declared.entity}`, () => assert.ok(field, `${declared.entity}.${name} has a type`));
        if (!field) continue;
        for (const op of declaredOperators(group, field)) {
          it(`filters ${name} with ${op} (typed query)`, async () => {
            for (const operand of operandsFor(field, op, m.state.rows, name)) {
              const want = m.state.rows.filter((r) => holds(field, op, r[name], operand));
              const got = await m.typed({ filter: { [name]: { [op]: operand } } });
              assert.deepEqual(m.sortedIds(got), m.sortedIds(want), `${name} ${op} ${JSON.stringify(operand)}`);
            }
          });
        }
        // Both directions, though the spec says ASC: the builder has descending() at run time.
        for (const order of ['ASC', 'DESC']) {
          it(`sorts on ${name} ${order} (typed query)`, async () => {
            const got = await m.typed({ sort: [{ fieldName: name, order }, { fieldName: '_id', order }] });
            assert.deepEqual(m.ids(got), m.expectedOrder(name, order));
          });
        }
      }
    }

    for (const [method, { fields, doc }] of Object.entries(declared.builder)) {
      const op = BUILDER_OPS[method];
      it(`knows what the builder's ${method}() sends`, () => assert.ok(op, `builder method ${method} has no rule`));
      if (!op) continue;
      if (method === 'startsWith') {
        it('documents startsWith() as case-insensitive', () => assert.match(doc, /Case-insensitive/));
      }
      for (const name of fields) {
        const field = declared.fields[name];
        it(`filters ${name} with the builder's ${method}()`, async () => {
          for (const operand of operandsFor(field, op, m.state.rows, name)) {
            const want = m.state.rows.filter((r) => holds(field, op, r[name], operand));
            const got = await m.built((q) => q[method](name, operand));
            assert.deepEqual(m.sortedIds(got), m.sortedIds(want), `${method}(${name}, ${JSON.stringify(operand)})`);
          }
        });
      }
    }

    for (const name of declared.sortFields) {
      it(`sorts on ${name} with the builder's ascending() and descending()`, async () => {
        assert.deepEqual(m.ids(await m.built((q) => q.ascending(name))), m.expectedOrder(name, 'ASC'));
        assert.deepEqual(m.ids(await m.built((q) => q.descending(name))), m.expectedOrder(name, 'DESC'));
      });
    }

    it('answers in the documented default order and page size', async () => {
      const { sort, limit } = declared.defaults;
      assert.ok(sort, 'the builder documents a default sort');
      const res = await m.state.client[m.module][declared.queryFunction]().find();
      assert.equal(res.pageSize, limit);
      assert.deepEqual(m.ids(res.items), m.expectedOrder(sort.field, sort.order));
      const typedDefault = await m.typed({});
      assert.deepEqual(m.ids(typedDefault), m.expectedOrder(sort.field, sort.order));
    });
  });
}


// ---------------------------------------------------------------- the data

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const badges = moduleUnderTest(BADGES, {
  module: 'badgesV2',
  items: 'badges',
  async seed(client) {
    const made = [];
    for (const [title, description, permissionsEnabled] of [
      ['Qx Alpha', 'First of the set', true],
      ['qx beta', '', false],
      ['QX Gamma', 'quiet one', true],
      ['Élan', 'ÉCLAT', false],
      ['élite', 'éclat', true],
      ['Zeta', 'Zed', false],
    ]) {
      made.push(await client.badgesV2.createBadge({ title, description, permissionsEnabled, backgroundColor: '#112233', textColor: '#FFFFFF' }));
      await sleep(3); // distinct creation times, so the default order is the creation order reversed
    }
    return made;
  },
});

const assignments = moduleUnderTest(ASSIGNMENTS, {
  module: 'badgeAssignments',
  items: 'badgeAssignments',
  async seed(client) {
    const [gold, silver] = [
      await client.badgesV2.createBadge({ title: 'Gold', backgroundColor: '#112233', textColor: '#FFFFFF' }),
      await client.badgesV2.createBadge({ title: 'Silver', backgroundColor: '#112233', textColor: '#FFFFFF' }),
    ];
    const members = [randomId(), randomId(), randomId(), randomId()];
    const made = [];
    for (const [badge, member] of [
      [gold, 0],
      [silver, 0],
      [gold, 1],
      [gold, 2],
      [silver, 3],
      [gold, 3],
    ]) {
      made.push(await client.badgeAssignments.createBadgeAssignment({ badgeId: badge._id, memberId: members[member] }));
      await sleep(3);
    }
    return made;
  },
});

generate('Badges V4', badges);
generate('Badge Assignments', assignments);

// ---------------------------------------------------------------- required fields and formats

describe('what the create calls declare required, and GUID formats', () => {
  const V4 = '@wix/auto_sdk_members_badges-v-2';
  const BA = '@wix/auto_sdk_members_badge-assignments';
  const validBadge = () => ({ title: 'Required', backgroundColor: '#112233', textColor: '#FFFFFF' });

  for (const path of requiredFields(V4, 'createBadge')) {
    it(`createBadge without ${path} is a 400 naming it, and makes nothing`, async () => {
      const { client } = await server.newSite();
      const [arg, key] = path.split('.');
      assert.equal(arg, 'badge', `a required path of createBadge this test can leave out: ${path}`);
      if (key) {
        const badge = validBadge();
        delete badge[key];
        await expectInvalid(client.badgesV2.createBadge(badge), path);
      } else {
        const err = await client.badgesV2.createBadge(undefined).then(
          () => assert.fail('createBadge() without a badge succeeded'),
          (e) => e,
        );
        assert.equal(err.status, 400);
      }
      const left = await client.badgesV2.queryBadges().find();
      assert.equal(left.totalCount, 0);
    });
  }

  const guids = writableGuidFields(BA, 'BadgeAssignment');
  it('declares the assignment ids callers write as GUIDs', () => assert.deepEqual([...guids].sort(), ['badgeId', 'memberId']));

  /** A site with a badge, and a valid assignment item for it. */
  async function siteWithBadge() {
    const site = await server.newSite();
    const badge = await site.client.badgesV2.createBadge(validBadge());
    const holders = async () =>
      (await site.client.badgeAssignments.queryBadgeAssignments({ filter: { badgeId: badge._id }, cursorPaging: { limit: 100 } }))
        .badgeAssignments;
    return { client: site.client, item: () => ({ badgeId: badge._id, memberId: randomId() }), holders };
  }

  for (const [fn, call] of [
    ['createBadgeAssignment', (client, good, bad) => client.badgeAssignments.createBadgeAssignment(bad)],
    ['bulkCreateBadgeAssignments', (client, good, bad) => client.badgeAssignments.bulkCreateBadgeAssignments([good, bad, good])],
  ]) {
    for (const path of requiredFields(BA, fn)) {
      const key = path.split('.')[1];
      if (!key) continue; // the argument itself: the SDK cannot send a call without it
      it(`${fn} without ${key} is a 400 naming it, and makes nothing`, async () => {
        const { client, item, holders } = await siteWithBadge();
        const bad = item();
        delete bad[key];
        await expectInvalid(call(client, item(), bad), key);
        assert.deepEqual(await holders(), []);
      });
    }
    for (const key of guids) {
      it(`${fn} with a ${key} that is not a GUID is a 400 naming it, and makes nothing`, async () => {
        const { client, item, holders } = await siteWithBadge();
        await expectInvalid(call(client, item(), { ...item(), [key]: 'bob' }), key);
        assert.deepEqual(await holders(), []);
      });
    }
  }
});
