// Reads what the installed SDK packages declare, from their own typings, so
// the conformance suite checks the server against the SDK version actually
// installed: a newer SDK that declares more makes the generated tests fail
// until the server follows.
//
// Sources (all under node_modules, as `npm ci` installs them):
// - `@wix/sdk-types`: the operators each field type takes when a query spec
//   says `operators: '*'` (`StringOperators`, `BooleanOperators`, …).
// - each module's `build/cjs/index.typings.d.ts`: its `…QuerySpec` (fields,
//   operators, sort, paging), the entity's field types and `@format`
//   annotations, the query builder's methods and their documented defaults,
//   and the `@requiredField` lines of each function.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function packageDir(name) {
  return path.dirname(require.resolve(`${name}/package.json`));
}

function typingsOf(pkg) {
  return readFileSync(path.join(packageDir(pkg), 'build/cjs/index.typings.d.ts'), 'utf8');
}

/** `'a' | 'b'` or `['a', 'b']` → ['a', 'b']. */
function quoted(text) {
  return [...text.matchAll(/'([^']*)'/g)].map((m) => m[1]);
}

/** The body of `interface NAME … {` up to its closing brace at column 0. */
function interfaceBody(src, name) {
  const start = src.search(new RegExp(`^interface ${name}\\b[^{]*\\{`, 'm'));
  if (start < 0) throw new Error(`the typings declare no interface ${name}`);
  const open = src.indexOf('{', start);
  const close = src.indexOf('\n}', open);
  return src.slice(open + 1, close);
}

/** The JSDoc comment right before `declare function NAME(`. */
function docOf(src, functionName) {
  const at = src.search(new RegExp(`^declare function ${functionName}\\(`, 'm'));
  if (at < 0) throw new Error(`the typings declare no function ${functionName}`);
  const open = src.lastIndexOf('/**', at);
  return src.slice(open, at);
}

/** Operators per field type, from `@wix/sdk-types` (`type StringOperators = '$eq' | …;`). */
export function operatorsByType() {
  const src = readFileSync(path.join(packageDir('@wix/sdk-types'), 'build/index.d.ts'), 'utf8');
  const out = {};
  for (const m of src.matchAll(/^type (String|Number|Boolean|Date)Operators = ([^;]+);/gm)) {
    out[m[1].toLowerCase()] = quoted(m[2]);
  }
  for (const type of ['string', 'number', 'boolean', 'date']) {
    if (!out[type]) throw new Error(`@wix/sdk-types declares no ${type} operators`);
  }
  return out;
}

/** Each property of an entity interface: its type (string, boolean, number, date) and annotations. */
function entityFields(src, entity) {
  const body = interfaceBody(src, entity);
  const fields = {};
  // A property is an optional JSDoc block followed by `name?: type;` at 4 spaces.
  for (const m of body.matchAll(/(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*)?^ {4}(\w+)\??: ([^;]+);/gm)) {
    const doc = m[1] ?? '';
    const raw = m[3].replace(/\s*\|\s*(null|undefined)/g, '').trim();
    const type = raw === 'Date' ? 'date' : raw;
    fields[m[2]] = {
      type,
      guid: /@format GUID/.test(doc),
      readonly: /@readonly/.test(doc),
    };
  }
  return fields;
}

/**
 * What one module declares about querying its entity:
 * { entity, spec: {paging, groups: [{fields, operators, sort}]}, fields, builder, defaults, queryFunction }.
 */
export function queryDeclarations(pkg) {
  const src = typingsOf(pkg);
  const specMatch = src.match(/^interface (\w+QuerySpec) extends QuerySpec \{/m);
  if (!specMatch) throw new Error(`${pkg} declares no QuerySpec`);
  const specBody = interfaceBody(src, specMatch[1]);
  const paging = specBody.match(/paging: '(\w+)'/)[1];
  const groups = [...specBody.matchAll(/\{\s*fields: \[([^\]]*)\];\s*operators: ('\*'|\[[^\]]*\]);\s*sort: '(\w+)';\s*\}/g)].map(
    (m) => ({ fields: quoted(m[1]), operators: m[2] === "'*'" ? '*' : quoted(m[2]), sort: m[3] }),
  );
  if (groups.length === 0) throw new Error(`${specMatch[1]}: no wql group could be read`);

  const entity = src.match(new RegExp(`Query<(\\w+), ${specMatch[1]}>`))[1];
  const fields = entityFields(src, entity);

  const builderFn = src.match(/^declare function (query\w+)\(\): (\w+QueryBuilder);/m);
  const builderBody = interfaceBody(src, builderFn[2]);
  const builder = {};
  for (const m of builderBody.matchAll(/(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*)?^ {4}(\w+): \(propertyName: ([^,]+), (?:value|string): [^)]+\) =>/gm)) {
    builder[m[2]] = { fields: quoted(m[3]), doc: m[1] ?? '' };
  }
  const sortMethod = builderBody.match(/^ {4}(ascending|descending): \(\.\.\.propertyNames: Array<([^>]+)>\)/m);
  const sortFields = sortMethod ? quoted(sortMethod[2]) : [];

  // "runs with these … defaults, which you can override: - limit(50) - descending("_createdDate")"
  const doc = docOf(src, builderFn[1]);
  const defaultSort = doc.match(/(ascending|descending)\("(\w+)"\)/);
  const defaultLimit = doc.match(/limit\((\d+)\)/);
  return {
    pkg,
    entity,
    queryFunction: builderFn[1],
    spec: { name: specMatch[1], paging, groups },
    fields,
    builder,
    sortFields,
    defaults: {
      sort: defaultSort ? { field: defaultSort[2], order: defaultSort[1] === 'descending' ? 'DESC' : 'ASC' } : null,
      limit: defaultLimit ? Number(defaultLimit[1]) : null,
    },
  };
}

/** The `@requiredField` paths of a function, e.g. ['badge', 'badge.title', …]. */
export function requiredFields(pkg, functionName) {
  return [...docOf(typingsOf(pkg), functionName).matchAll(/@requiredField (\S+)/g)].map((m) => m[1]);
}

/** The entity fields a module marks `@format GUID` and callers may write (not `@readonly`). */
export function writableGuidFields(pkg, entity) {
  const fields = entityFields(typingsOf(pkg), entity);
  return Object.entries(fields)
    .filter(([, f]) => f.guid && !f.readonly)
    .map(([name]) => name);
}
