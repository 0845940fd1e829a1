#!/usr/bin/env node
// Peer baseline for bench/run: reads the same org a divaudit sweep reads, with the official
// Genesys Cloud JavaScript SDK (purecloud-platform-client-v2, pinned in package.json and
// package-lock.json), the way its documentation and common audit scripts do it:
//   1. login (client credentials)
//   2. getAuthorizationDivisions, all pages (pageSize 500)
//   3. getUsers state=active and state=inactive, all pages (pageSize 500)
//   4. getAuthorizationSubject(userId) for every user (its grants, group-inherited included)
//   5. getGroups, all pages, then getGroupMembers for every group, all pages
//   6. getOauthClients (unpaged)
//   7. getRoutingQueues, all pages (pageSize 500), then getRoutingQueueMembers(queueId) for every
//      queue at the method's maximum pageSize of 100, all pages: the members listing carries no
//      total or pageCount, so, as an SDK user does, it follows nextUri and stops at a page
//      without one (or a short page)
// The SDK retries nothing (ApiClient.callApi rejects on any HTTP error), so, as common scripts
// do, a 429 is caught and the request re-sent after sleeping Retry-After seconds
// (setReturnExtendedResponses(true) exposes the header). 5xx are re-sent after 3 s (at most 3
// times). Requests run `--concurrency N` at a time (default 1 = sequential, like the scripts;
// bench/run passes the same concurrency divaudit uses and says so).
//
// Usage: node peer.mjs --port PORT [--client ID:SECRET] [--concurrency N]
// Prints one JSON line: {"users","subjects","grants","groups","members","clients","queues",
//                        "queue_members","calls","throttled","retries","wall_seconds"}.
// Exit 1 on a final error.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const platformClient = require('purecloud-platform-client-v2');

let port = 0;
let clientId = 'sim-client';
let clientSecret = 'sim-secret';
let concurrency = 1;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; ++i) {
  if (argv[i] === '--port') port = Number(argv[++i]);
  else if (argv[i] === '--client') [clientId, clientSecret] = argv[++i].split(':');
  else if (argv[i] === '--concurrency') concurrency = Math.max(1, Number(argv[++i]));
  else {
    console.error(`peer: unexpected argument '${argv[i]}'`);
    process.exit(2);
  }
}
if (!port) {
  console.error('usage: node peer.mjs --port PORT [--client ID:SECRET] [--concurrency N]');
  process.exit(2);
}

const client = platformClient.ApiClient.instance;
client.setGateway({ host: '127.0.0.1', protocol: 'http', port, path_params_login: '',
                    path_params_api: '' });
client.setReturnExtendedResponses(true);
const authz = new platformClient.AuthorizationApi();
const users = new platformClient.UsersApi();
const groups = new platformClient.GroupsApi();
const oauth = new platformClient.OAuthApi();
const routing = new platformClient.RoutingApi();

const stats = { calls: 0, throttled: 0, retries: 0 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One SDK call, re-sent after Retry-After on 429 (and after 3 s on 502/503/504, 3 times).
async function call(fn) {
  let serverErrors = 0;
  for (;;) {
    ++stats.calls;
    try {
      const res = await fn();
      return res.body;
    } catch (err) {
      const status = err && err.status;
      if (status === 429) {
        ++stats.throttled;
        ++stats.retries;
        const after = Number((err.headers && err.headers['retry-after']) || 1);
        await sleep(Math.max(1, after) * 1000);
        continue;
      }
      if ((status === 502 || status === 503 || status === 504) && serverErrors < 3) {
        ++serverErrors;
        ++stats.retries;
        await sleep(3000);
        continue;
      }
      throw new Error(`HTTP ${status}: ${JSON.stringify(err && err.body).slice(0, 200)}`);
    }
  }
}

// Runs fn over items, `concurrency` at a time.
async function each(items, fn) {
  let next = 0;
  const workers = [];
  for (let w = 0; w < Math.min(concurrency, items.length); ++w) {
    workers.push((async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    })());
  }
  await Promise.all(workers);
}

// Every page of a page-number listing, one page after the other (as the SDK examples do).
async function allPages(fn) {
  const out = [];
  for (let page = 1; ; ++page) {
    const body = await call(() => fn(page));
    out.push(...(body.entities || []));
    if (!body.pageCount || page >= body.pageCount) return out;
  }
}

const t0 = process.hrtime.bigint();
await client.loginClientCredentialsGrant(clientId, clientSecret);
++stats.calls;

const divisions = await allPages((p) => authz.getAuthorizationDivisions({ pageSize: 500,
                                                                          pageNumber: p }));
const active = await allPages((p) => users.getUsers({ pageSize: 500, pageNumber: p,
                                                      state: 'active' }));
const inactive = await allPages((p) => users.getUsers({ pageSize: 500, pageNumber: p,
                                                        state: 'inactive' }));
const everyone = active.concat(inactive);

let grants = 0;
let subjects = 0;
await each(everyone, async (u) => {
  const subject = await call(() => authz.getAuthorizationSubject(u.id));
  ++subjects;
  grants += (subject.grants || []).length;
});

const groupList = await allPages((p) => groups.getGroups({ pageSize: 500, pageNumber: p }));
let members = 0;
await each(groupList, async (g) => {
  const m = await allPages((p) => groups.getGroupMembers(g.id, { pageSize: 500, pageNumber: p }));
  members += m.length;
});

const clients = await call(() => oauth.getOauthClients());

// Every page of a listing without a total (queue members): next page while the answer has a
// nextUri and a full page.
async function pagesUntilNoNext(fn, pageSize) {
  const out = [];
  for (let page = 1; ; ++page) {
    const body = await call(() => fn(page));
    const entities = body.entities || [];
    out.push(...entities);
    if (!body.nextUri || entities.length < pageSize) return out;
  }
}

const queueList = await allPages((p) => routing.getRoutingQueues({ pageSize: 500,
                                                                   pageNumber: p }));
let queueMembers = 0;
await each(queueList, async (q) => {
  const m = await pagesUntilNoNext(
    (p) => routing.getRoutingQueueMembers(q.id, { pageSize: 100, pageNumber: p }), 100);
  queueMembers += m.length;
});
const wall = Number(process.hrtime.bigint() - t0) / 1e9;

console.log(JSON.stringify({
  divisions: divisions.length, users: everyone.length, subjects, grants, groups: groupList.length,
  members, clients: (clients.entities || []).length, queues: queueList.length,
  queue_members: queueMembers, calls: stats.calls,
  throttled: stats.throttled, retries: stats.retries, concurrency, wall_seconds: wall,
}));
