// A webhook receiver written as a site would write it, with the official SDK
// unchanged, and small helpers for the webhook tests.
import assert from 'node:assert/strict';
import http from 'node:http';

import { createClient, AppStrategy } from '@wix/sdk';
import { badgesV2, badgeAssignments, badges } from '@wix/members';

export const HANDLERS = {
  'wix.badges.v4.badge_created': ['badgesV2', 'onBadgeCreated'],
  'wix.badges.v4.badge_updated': ['badgesV2', 'onBadgeUpdated'],
  'wix.badges.v4.badge_deleted': ['badgesV2', 'onBadgeDeleted'],
  'wix.badges.v4.badge_assignment_created': ['badgeAssignments', 'onBadgeAssignmentCreated'],
  'wix.badges.v4.badge_assignment_deleted': ['badgeAssignments', 'onBadgeAssignmentDeleted'],
  'wix.badges.v3.badge_badge_assigned': ['badges', 'onBadgeAssigned'],
  'wix.badges.v3.badge_badge_unassigned': ['badges', 'onBadgeUnassigned'],
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A receiver as a site would write it: node:http turned into a Fetch
 * Request, handed to `processRequest`. Handlers are registered for `types`
 * only; a delivery of any other type makes `processRequest` throw, which the
 * receiver answers with 500 and records in `unexpected`.
 */
export async function startReceiver(publicKey, types) {
  const wix = createClient({
    modules: { badgesV2, badgeAssignments, badges },
    auth: AppStrategy({ appId: 'insignia-tests', publicKey }),
  });
  const received = [];
  const unexpected = [];
  const state = { failWith: 0, delayMs: 0 };
  for (const type of types) {
    const [mod, fn] = HANDLERS[type];
    wix[mod][fn]((event) => {
      received.push({ type, handler: `${mod}.${fn}`, event });
    });
  }
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (state.delayMs) await sleep(state.delayMs);
    if (state.failWith) {
      res.writeHead(state.failWith).end();
      return;
    }
    try {
      assert.equal(req.headers['content-type'], 'text/plain');
      const request = new Request(`http://receiver${req.url}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      await wix.webhooks.processRequest(request);
      res.writeHead(200).end();
    } catch (err) {
      unexpected.push(String(err?.message ?? err));
      res.writeHead(500).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhook`,
    received,
    unexpected,
    state,
    /** Stops listening (connections are refused) until `listen(port)`. */
    close: () =>
      new Promise((r) => {
        if (!server.listening) return r();
        server.close(() => r());
        server.closeAllConnections?.();
      }),
    listen: (port) => new Promise((r) => server.listen(port, '127.0.0.1', r)),
  };
}

export async function api(server, site, method, path, body) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: site.apiKey, 'wix-site-id': site.siteId, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  return { status: res.status, body: json };
}

export async function publicKey(server) {
  const res = await fetch(`${server.baseUrl}/insignia/v1/webhooks/public-key`);
  assert.equal(res.status, 200);
  const { publicKey } = await res.json();
  assert.match(publicKey, /^-----BEGIN PUBLIC KEY-----\n/);
  return publicKey;
}

export async function waitFor(what, check, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

