// Front-end tokens with the unmodified SDK: `OAuthStrategy` as a site's
// browser code uses it (spec Part B, B5.1 option 1), against Insignia.
//
// The SDK sends token requests to the fixed URL https://www.wixapis.com/oauth2/token
// with the global `fetch`; a page points them at Insignia with a few lines
// installed before the SDK runs (below). API calls go to `host.apiBaseUrl`
// with `useCDN: false`. The server's access tokens last 2 s here, so the
// flow passes through an expiry and a refresh.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { createClient, OAuthStrategy } from '@wix/sdk';
import { badgesV2, badgeAssignments, badges } from '@wix/members';

import { startServer, randomId, expectForbidden } from './harness.mjs';

const WIX_TOKEN_URL = 'https://www.wixapis.com/oauth2/token';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
const tokenCalls = [];
const realFetch = globalThis.fetch;

before(async () => {
  server = await startServer({ args: ['--access-token-seconds', '2', '--access-token-leeway-seconds', '0'] });
  // The token-URL shim a front end installs once, before the SDK runs.
  globalThis.fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url === WIX_TOKEN_URL) {
      tokenCalls.push(JSON.parse(init.body));
      return realFetch(`${server.baseUrl}/oauth2/token`, init);
    }
    return realFetch(input, init);
  };
});

after(async () => {
  globalThis.fetch = realFetch;
  await server?.stop();
});

/** The browser's client: unmodified OAuthStrategy; `fetch` only turns https into http for this local server. */
function browserClient(clientId) {
  return createClient({
    modules: { badgesV2, badgeAssignments, badges },
    auth: OAuthStrategy({ clientId }),
    host: { apiBaseUrl: server.apiBaseUrl },
    useCDN: false,
    fetch: (url, init) => realFetch(String(url).replace(/^https:/, 'http:'), init),
  });
}

describe('OAuthStrategy against Insignia', () => {
  it('a visitor, then a member via authorized_client, reads badges through an expiry and a refresh', async () => {
    const site = await server.newSite();
    const member = randomId();
    const staff = await site.client.badgesV2.createBadge({ title: 'Staff', backgroundColor: '#112233', textColor: '#FFFFFF' });
    await site.client.badgeAssignments.createBadgeAssignment({
      badgeId: staff._id,
      memberId: member,
      tags: { tags: { tagIds: ['team'] }, privateTags: { tagIds: ['payroll'] } },
    });
    const clientId = await server.createFrontEndClient(site.siteId, ['https://shop.example']);
    const wix = browserClient(clientId);

    // A visitor: the first call asks for anonymous tokens.
    tokenCalls.length = 0;
    const asVisitor = await wix.badgesV2.queryBadges().find();
    assert.deepEqual(asVisitor.items.map((b) => b.title), ['Staff']);
    assert.deepEqual(tokenCalls, [{ clientId, grantType: 'anonymous' }]);
    assert.equal(wix.auth.loggedIn(), false);
    await expectForbidden(wix.badgesV2.createBadge({ title: 'Mine', backgroundColor: '#000000', textColor: '#FFFFFF' }));

    // The site's backend, holding the API key, turns the visitor into the member.
    const memberTokens = await wix.auth.getMemberTokensForExternalLogin(member, site.apiKey);
    wix.auth.setTokens(memberTokens);
    assert.equal(wix.auth.loggedIn(), true);
    const refreshToken = memberTokens.refreshToken.value;

    const read = async () => {
      const found = await wix.badgesV2.queryBadges().find();
      assert.deepEqual(found.items.map((b) => b._id), [staff._id]);
      const held = await wix.badgeAssignments.queryBadgeAssignments().eq('memberId', member).find();
      assert.equal(held.items.length, 1);
      assert.deepEqual(held.items[0].tags.tags.tagIds, ['team']);
      assert.deepEqual(held.items[0].tags.privateTags?.tagIds ?? [], [], 'privateTags stay hidden');
      const perMember = await wix.badges.listBadgesPerMember([member]);
      assert.deepEqual(perMember.memberBadgeIds, [{ memberId: member, badgeIds: [staff._id] }]);
    };
    await read();

    // Past the 2-second lifetime the SDK renews with the same refresh token.
    tokenCalls.length = 0;
    await sleep(3200);
    await read();
    assert.deepEqual(tokenCalls, [{ clientId, refreshToken, grantType: 'refresh_token' }]);
    assert.equal(wix.auth.getTokens().refreshToken.value, refreshToken, 'the refresh token never rotates');
    assert.equal(wix.auth.loggedIn(), true, 'still the member after the refresh');
  });
});
