// CORS for front-end tokens in a real browser: a page served from another
// origin gets a visitor token from Insignia and reads the site's badges. An
// origin the site's OAuth client lists may; any other origin is blocked by
// the browser.
import http from 'node:http';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { useServerAndBrowser } from './harness.mjs';

const env = useServerAndBrowser();

/** A plain page server on a free loopback port: its own origin. */
async function pageServer() {
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>shop</title><p>shop</p>');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${srv.address().port}`, close: () => new Promise((r) => srv.close(r)) };
}

/** What the page's own code does: a visitor token (JSON body, so a preflight), then a badge query with it. */
function visitorReads(page, insignia, clientId, token) {
  return page.evaluate(
    async ({ insignia, clientId, token }) => {
      try {
        let accessToken = token;
        if (!accessToken) {
          const res = await fetch(`${insignia}/oauth2/token`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ clientId, grantType: 'anonymous' }),
          });
          accessToken = (await res.json()).access_token;
        }
        const res = await fetch(`${insignia}/badges/v4/badges/query`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: accessToken },
          body: JSON.stringify({ query: {} }),
        });
        const body = await res.json();
        return { status: res.status, titles: body.badges.map((b) => b.title), requestId: res.headers.get('x-wix-request-id') };
      } catch (err) {
        return { error: String(err) };
      }
    },
    { insignia, clientId, token },
  );
}

describe('CORS for front-end clients', () => {
  it('lets a listed origin read with a visitor token and blocks an unlisted one', async () => {
    const { server, browser } = env;
    const site = await server.newSite();
    await site.client.badgesV2.createBadge({ title: 'Staff', backgroundColor: '#1D4ED8', textColor: '#FFFFFF' });
    const listed = await pageServer();
    const unlisted = await pageServer();
    try {
      const clientId = await server.createFrontEndClient(site.siteId, [listed.origin]);
      const context = await browser.newContext();
      const page = await context.newPage();

      await page.goto(`${listed.origin}/`);
      const allowed = await visitorReads(page, server.baseUrl, clientId, null);
      assert.deepEqual(allowed.titles, ['Staff'], JSON.stringify(allowed));
      assert.equal(allowed.status, 200);
      assert.ok(allowed.requestId, 'x-wix-request-id is exposed to the page');

      // The same visitor token, from an origin no client lists: the browser blocks both calls.
      const tokenRes = await fetch(`${server.baseUrl}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId, grantType: 'anonymous' }),
      });
      const { access_token: token } = await tokenRes.json();
      await page.goto(`${unlisted.origin}/`);
      const blocked = await visitorReads(page, server.baseUrl, clientId, token);
      assert.match(blocked.error ?? '', /Failed to fetch/, JSON.stringify(blocked));
      const blockedToken = await visitorReads(page, server.baseUrl, clientId, null);
      assert.match(blockedToken.error ?? '', /Failed to fetch/, JSON.stringify(blockedToken));
      await context.close();
    } finally {
      await listed.close();
      await unlisted.close();
    }
  });
});
