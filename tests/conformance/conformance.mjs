#!/usr/bin/env node
// Conformance test: drives divaudit-sim with the official Genesys Cloud JavaScript SDK
// (purecloud-platform-client-v2, pinned in package.json / package-lock.json) and checks that what
// the SDK reads equals the org fixture, that every response fits the SDK's own models
// (index.d.ts) and that paging and errors look like the Genesys Cloud Platform API.
//
// Usage: node conformance.mjs PATH/TO/divaudit-sim [--fixture FILE] [--self-test]
// Exit status: 0 when everything matched, 1 on any mismatch, 2 on usage/setup errors.
// Every mismatch is printed on its own line starting with "MISMATCH".
// --self-test serves a mutated copy of the fixture (renamed user, dropped grant, …) while
// expecting the original, and exits 0 only if every mutation was reported as a mismatch.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const CLIENT_ID = 'conf-client';
const CLIENT_SECRET = 'conf-secret';
const PERMISSION = 'authorization:grant:view';
const ALL = '*';

// ---------------------------------------------------------------------------------------------
// Arguments and setup.

function usage(message) {
  console.error(`conformance: ${message}`);
  console.error('usage: node conformance.mjs PATH/TO/divaudit-sim [--fixture FILE] [--self-test]');
  process.exit(2);
}

const argv = process.argv.slice(2);
let simBinary = null;
let fixturePath = path.join(here, 'fixture.json');
let selfTest = false;
for (let i = 0; i < argv.length; ++i) {
  if (argv[i] === '--self-test') {
    selfTest = true;
  } else if (argv[i] === '--fixture') {
    if (i + 1 >= argv.length) usage('--fixture needs a file');
    fixturePath = argv[++i];
  } else if (simBinary === null && !argv[i].startsWith('--')) {
    simBinary = argv[i];
  } else {
    usage(`unexpected argument '${argv[i]}'`);
  }
}
if (simBinary === null) usage('missing the divaudit-sim binary');

let platformClient;
let sdkDir;
try {
  platformClient = require('purecloud-platform-client-v2');
  sdkDir = path.dirname(require.resolve('purecloud-platform-client-v2/package.json'));
} catch (e) {
  usage(`cannot load purecloud-platform-client-v2 (${e.message}); run scripts/install-deps, ` +
        'which runs `npm ci` in tests/conformance');
}
const sdkVersion = JSON.parse(readFileSync(path.join(sdkDir, 'package.json'), 'utf8')).version;

// ---------------------------------------------------------------------------------------------
// Bookkeeping.

const failures = [];
const notes = new Set();
const endpointsUsed = new Set();
let pagesRead = 0;
let objectsCompared = 0;

function fail(message) {
  failures.push(message);
  if (!selfTest) console.log(`MISMATCH ${message}`);
}

// JSON with sorted keys, so that equal values print equally.
function canon(value) {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]));
    }
    return v;
  });
}

function eq(label, got, want) {
  if (canon(got) !== canon(want)) fail(`${label}: expected ${canon(want)}, got ${canon(got)}`);
}

function check(label, ok, detail = '') {
  if (!ok) fail(`${label}${detail ? `: ${detail}` : ''}`);
}

// Compares the fields listed in `want` (undefined = must be absent); counts one object.
function compareObject(label, got, want) {
  ++objectsCompared;
  if (got === null || typeof got !== 'object') {
    fail(`${label}: expected an object, got ${canon(got)}`);
    return;
  }
  for (const [key, value] of Object.entries(want)) {
    if (value === undefined) {
      check(`${label}.${key}`, !(key in got), `expected absent, got ${canon(got[key])}`);
    } else if (key === 'selfUri' && typeof got[key] === 'string') {
      // Compared decoded: the sim escapes '*' as %2A, encodeURIComponent does not.
      eq(`${label}.${key}`, safeDecode(got[key]), safeDecode(value));
    } else {
      eq(`${label}.${key}`, got[key], value);
    }
  }
}

function safeDecode(uri) {
  try {
    return decodeURIComponent(uri);
  } catch {
    return uri;
  }
}

// Compares two lists of objects keyed by `keyOf`: same keys (no duplicates), then `compare` on
// each pair.
function compareList(label, got, want, keyOf, compare) {
  if (!Array.isArray(got)) {
    fail(`${label}: expected an array, got ${canon(got)}`);
    return;
  }
  const gotByKey = new Map();
  for (const g of got) {
    const k = keyOf(g);
    if (gotByKey.has(k)) fail(`${label}: duplicate entry ${k}`);
    gotByKey.set(k, g);
  }
  const wantKeys = want.map(keyOf).sort();
  eq(`${label} (keys)`, [...gotByKey.keys()].sort(), wantKeys);
  for (const w of want) {
    const g = gotByKey.get(keyOf(w));
    if (g !== undefined) compare(`${label}[${keyOf(w)}]`, g, w);
  }
}

const byId = (x) => x.id;
const sortedIds = (xs) => xs.map(byId).sort();

// ---------------------------------------------------------------------------------------------
// The SDK's models (index.d.ts): every response must fit the model its method returns.

function loadSchema(dtsPath) {
  const models = new Map();
  const returns = new Map();
  let cls = null;
  let model = null;
  let inModels = false;
  for (const line of readFileSync(dtsPath, 'utf8').split('\n')) {
    let m;
    if ((m = /^declare class (\w+)\s*\{/.exec(line))) {
      cls = m[1];
      inModels = false;
    } else if (/^declare namespace Models\s*\{/.test(line)) {
      cls = null;
      inModels = true;
    } else if (cls && (m = /^\s+(\w+)\(.*\): Promise<Models\.(\w+)>;/.exec(line))) {
      returns.set(`${cls}.${m[1]}`, m[2]);
    } else if (inModels && (m = /^\texport interface (\w+)\s*\{/.exec(line))) {
      model = new Map();
      models.set(m[1], model);
    } else if (model && (m = /^\t\t"([^"]+)"(\?)?: (.+);\s*$/.exec(line))) {
      model.set(m[1], { type: m[3].trim(), required: !m[2] });
    } else if (model && /^\t\}/.test(line)) {
      model = null;
    }
  }
  return { models, returns };
}

const schema = loadSchema(path.join(sdkDir, 'index.d.ts'));

function checkType(value, type, where, out) {
  let m;
  if (value === null) {
    out.push(`${where}: null (Genesys omits empty fields)`);
  } else if (type === 'string' || type === 'number' || type === 'boolean') {
    if (typeof value !== type) out.push(`${where}: expected ${type}, got ${canon(value)}`);
  } else if (type === 'object') {
    if (typeof value !== 'object') out.push(`${where}: expected object, got ${canon(value)}`);
  } else if ((m = /^Array<(.+)>$/.exec(type))) {
    if (!Array.isArray(value)) {
      out.push(`${where}: expected ${type}, got ${canon(value)}`);
    } else {
      value.forEach((v, i) => checkType(v, m[1], `${where}[${i}]`, out));
    }
  } else if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (typeof value !== 'object' || Array.isArray(value)) {
      out.push(`${where}: expected a map, got ${canon(value)}`);
    } else {
      for (const [k, v] of Object.entries(value)) checkType(v, m[1], `${where}.${k}`, out);
    }
  } else if ((m = /^Models\.(\w+)$/.exec(type))) {
    checkModel(value, m[1], where, out);
  } else {
    out.push(`${where}: cannot check the index.d.ts type '${type}'`);
  }
}

// Unknown fields and wrong types are failures. A field index.d.ts marks required (no '?') but
// the response lacks is only noted: the generated models mark request-body requirements, which
// the real API does not honour in responses either.
function checkModel(value, name, where, out) {
  const model = schema.models.get(name);
  if (model === undefined) {
    out.push(`${where}: index.d.ts has no model ${name}`);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out.push(`${where}: expected Models.${name}, got ${canon(value)}`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const field = model.get(key);
    if (field === undefined) {
      out.push(`${where}.${key}: not a field of Models.${name}`);
    } else {
      checkType(v, field.type, `${where}.${key}`, out);
    }
  }
  for (const [key, field] of model) {
    if (field.required && !(key in value)) {
      notes.add(`Models.${name}.${key} is required in index.d.ts but absent at ` +
                `${where.replace(/\[[^\]]*\]/g, '[]')}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The simulator process.

const sims = [];

function startSim(extraArgs) {
  const args = ['--org', simOrgPath, '--listen', '127.0.0.1:0', '--client',
                `${CLIENT_ID}:${CLIENT_SECRET}`, '--log-level', 'warn', ...extraArgs];
  return new Promise((resolve, reject) => {
    const proc = spawn(simBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const sim = { proc, port: 0, stderr: '', exited: null };
    sims.push(sim);
    proc.stderr.on('data', (d) => {
      sim.stderr = (sim.stderr + d).slice(-65536);
    });
    proc.once('exit', (code, signal) => {
      sim.exited = { code, signal };
      reject(new Error(`divaudit-sim exited (${code ?? signal}) before listening:\n${sim.stderr}`));
    });
    proc.once('error', (e) => reject(new Error(`cannot start ${simBinary}: ${e.message}`)));
    const timer = setTimeout(() => reject(new Error('divaudit-sim: no listening line in 30 s')),
                             30000).unref();
    readline.createInterface({ input: proc.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const m = /^listening 127\.0\.0\.1:(\d+)$/.exec(line);
      if (!m) {
        reject(new Error(`divaudit-sim: unexpected first line '${line}'`));
        return;
      }
      sim.port = Number(m[1]);
      resolve(sim);
    });
  });
}

// SIGTERM, then wait: the simulator must exit 0.
async function stopSim(sim) {
  if (sim.exited === null) {
    const done = new Promise((resolve) => sim.proc.once('exit', resolve));
    sim.proc.kill('SIGTERM');
    const timeout = new Promise((resolve) => setTimeout(resolve, 10000, 'timeout').unref());
    if ((await Promise.race([done, timeout])) === 'timeout') {
      sim.proc.kill('SIGKILL');
      fail('divaudit-sim did not exit within 10 s of SIGTERM');
      return;
    }
  }
  check('divaudit-sim exit status after SIGTERM', sim.exited.code === 0,
        `got ${canon(sim.exited)}\n${sim.stderr}`);
}

process.on('exit', () => {
  for (const sim of sims) if (sim.exited === null) sim.proc.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------
// The SDK.

const client = platformClient.ApiClient.instance;
const apis = {
  AuthorizationApi: new platformClient.AuthorizationApi(),
  UsersApi: new platformClient.UsersApi(),
  GroupsApi: new platformClient.GroupsApi(),
  OAuthApi: new platformClient.OAuthApi(),
  OrganizationApi: new platformClient.OrganizationApi(),
  AuditApi: new platformClient.AuditApi(),
  RoutingApi: new platformClient.RoutingApi(),
  AnalyticsApi: new platformClient.AnalyticsApi(),
};

function useSim(sim) {
  // Login URL = http://host:port + path_params_login + '/oauth/token'; API URL = http://host:port
  // + path_params_api + '/api/v2/...' (configuration.js getConfUrl).
  client.setGateway({ host: '127.0.0.1', protocol: 'http', port: sim.port, path_params_login: '',
                      path_params_api: '' });
}

// Calls an SDK method, records the endpoint and checks the result against its index.d.ts model.
async function call(cls, method, ...args) {
  endpointsUsed.add(`${cls}.${method}`);
  const data = await apis[cls][method](...args);
  const model = schema.returns.get(`${cls}.${method}`);
  if (model === undefined) {
    fail(`index.d.ts declares no return model for ${cls}.${method}`);
  } else {
    const out = [];
    checkModel(data, model, method, out);
    out.forEach(fail);
  }
  return data;
}

// Expects the promise to reject with a Genesys ErrorBody of `status` (and `code` when given).
async function expectError(label, promise, status, code) {
  let body;
  try {
    const data = await promise;
    fail(`${label}: expected HTTP ${status}, the call succeeded with ${canon(data).slice(0, 200)}`);
    return null;
  } catch (e) {
    body = e;
  }
  ++objectsCompared;
  if (body instanceof Error) {
    fail(`${label}: expected an ErrorBody, got ${body.stack}`);
    return null;
  }
  const out = [];
  checkModel(body, 'ErrorBody', `${label} ErrorBody`, out);
  out.forEach(fail);
  eq(`${label} ErrorBody.status`, body.status, status);
  if (code !== undefined) eq(`${label} ErrorBody.code`, body.code, code);
  check(`${label} ErrorBody.message`, typeof body.message === 'string' && body.message !== '',
        `got ${canon(body.message)}`);
  check(`${label} ErrorBody.code`, typeof body.code === 'string' && body.code !== '',
        `got ${canon(body.code)}`);
  check(`${label} ErrorBody.contextId`, typeof body.contextId === 'string' && body.contextId !== '',
        `got ${canon(body.contextId)}`);
  check(`${label}: the secret leaks into the error`, !canon(body).includes(CLIENT_SECRET));
  return body;
}

// ---------------------------------------------------------------------------------------------
// Paging.

function parseUri(label, uri, wantPath) {
  if (typeof uri !== 'string') {
    fail(`${label}: expected a URI, got ${canon(uri)}`);
    return null;
  }
  const u = new URL(uri, 'http://placeholder');
  eq(`${label} path`, u.pathname, wantPath);
  return u.searchParams;
}

// Pages through a page-number listing with `fetch({pageSize, pageNumber})`, following nextUri
// (or pageCount when the listing has no URIs), and checks every paging field on the way.
// `keep` lists query parameters nextUri must carry over. `counted: false`: the listing carries no
// total, pageCount or lastUri (checked absent) and is followed by nextUri alone. Returns every
// entity.
async function pageAll(label, fetch,
                       { pageSize, total, uris = true, counted = true, apiPath, keep = {} }) {
  const all = [];
  const wantCount = Math.ceil(total / pageSize);
  let pageNumber = 1;
  for (let guard = 0; guard <= wantCount + 1; ++guard) {
    const page = await fetch({ pageSize, pageNumber });
    ++pagesRead;
    const where = `${label} page ${pageNumber}`;
    eq(`${where} pageSize`, page.pageSize, pageSize);
    eq(`${where} pageNumber`, page.pageNumber, pageNumber);
    if (counted) {
      eq(`${where} total`, page.total, total);
      eq(`${where} pageCount`, page.pageCount, wantCount);
    } else {
      for (const k of ['total', 'pageCount', 'lastUri']) {
        check(`${where}.${k}`, !(k in page), `expected absent, got ${canon(page[k])}`);
      }
    }
    const entities = page.entities ?? [];
    eq(`${where} entities.length`, entities.length,
       Math.max(0, Math.min(pageSize, total - (pageNumber - 1) * pageSize)));
    all.push(...entities);
    const last = pageNumber >= wantCount;
    if (!uris) {
      for (const k of ['firstUri', 'selfUri', 'lastUri', 'nextUri', 'previousUri']) {
        check(`${where}.${k}`, !(k in page), `expected absent, got ${canon(page[k])}`);
      }
      if (last) break;
      ++pageNumber;
      continue;
    }
    const pageUris = [['firstUri', 1], ['selfUri', pageNumber]];
    if (counted) pageUris.push(['lastUri', Math.max(1, wantCount)]);
    for (const [k, n] of pageUris) {
      const q = parseUri(`${where}.${k}`, page[k], apiPath);
      if (q) {
        eq(`${where}.${k} pageNumber`, q.get('pageNumber'), String(n));
        eq(`${where}.${k} pageSize`, q.get('pageSize'), String(pageSize));
      }
    }
    if (pageNumber > 1) {
      const q = parseUri(`${where}.previousUri`, page.previousUri, apiPath);
      if (q) eq(`${where}.previousUri pageNumber`, q.get('pageNumber'), String(pageNumber - 1));
    } else {
      check(`${where}.previousUri`, !('previousUri' in page), `expected absent on page 1`);
    }
    if (last) {
      check(`${where}.nextUri`, !('nextUri' in page),
            `expected absent on the last page, got ${canon(page.nextUri)}`);
      break;
    }
    const next = parseUri(`${where}.nextUri`, page.nextUri, apiPath);
    if (next === null) break;
    eq(`${where}.nextUri pageSize`, next.get('pageSize'), String(pageSize));
    eq(`${where}.nextUri pageNumber`, next.get('pageNumber'), String(pageNumber + 1));
    for (const [k, v] of Object.entries(keep)) eq(`${where}.nextUri ${k}`, next.get(k), v);
    pageNumber = Number(next.get('pageNumber'));
  }
  return all;
}

// Pages through GET /api/v2/users/query by cursor; checks nextUri and cursor agree.
async function cursorAll(label, opts, total) {
  const all = [];
  let cursor;
  for (let guard = 0; guard <= total + 1; ++guard) {
    const page = await call('UsersApi', 'getUsersQuery', { ...opts, cursor });
    ++pagesRead;
    const where = `${label} page ${guard + 1}`;
    all.push(...(page.entities ?? []));
    check(`${where}.entities`, (page.entities ?? []).length <= opts.pageSize,
          `more than pageSize ${opts.pageSize}`);
    check(`${where}.selfUri`, typeof page.selfUri === 'string', `got ${canon(page.selfUri)}`);
    if (all.length >= total) {
      check(`${where}.nextUri`, !('nextUri' in page), `expected absent on the last page`);
      check(`${where}.cursor`, !('cursor' in page), `expected absent on the last page`);
      break;
    }
    const next = parseUri(`${where}.nextUri`, page.nextUri, '/api/v2/users/query');
    check(`${where}.cursor`, typeof page.cursor === 'string' && page.cursor !== '',
          `got ${canon(page.cursor)}`);
    if (next === null || typeof page.cursor !== 'string') break;
    eq(`${where}.nextUri cursor`, next.get('cursor'), page.cursor);
    eq(`${where}.nextUri pageSize`, next.get('pageSize'), String(opts.pageSize));
    if (opts.state) eq(`${where}.nextUri state`, next.get('state'), opts.state);
    cursor = page.cursor;
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// The fixture, with the sim's documented defaults (sim/README.md, "Fixture format").

function loadFixture(file) {
  const fx = JSON.parse(readFileSync(file, 'utf8'));
  const divisions = (fx.divisions ?? []).map((d) => ({
    id: d.id, name: d.name, description: d.description ?? '', homeDivision: !!d.homeDivision,
  }));
  const roles = (fx.roles ?? []).map((r) => ({
    id: r.id, name: r.name,
    policies: (r.permissionPolicies ?? []).map((p) => ({
      domain: p.domain, entityName: p.entityName, actionSet: [...p.actionSet].sort(),
      narrowed: !!p.narrowed,
    })),
  }));
  const permissions = (fx.permissions ?? []).map((c) => ({ ...c }));
  const roleSettings = {
    authorizationGrantDivisionAware: fx.roleSettings?.authorizationGrantDivisionAware ?? true,
    backfillEnabled: fx.roleSettings?.backfillEnabled ?? false,
  };
  const users = (fx.users ?? []).map((u) => ({
    id: u.id, name: u.name, email: u.email ?? '', divisionId: u.divisionId ?? '',
    state: u.state ?? 'active',
  }));
  const groups = (fx.groups ?? []).map((g) => ({
    id: g.id, name: g.name, rolesEnabled: g.rolesEnabled ?? true, memberIds: g.memberIds ?? [],
  }));
  const clients = (fx.oauthClients ?? []).map((c) => ({
    id: c.id, name: c.name, authorizedGrantType: c.authorizedGrantType ?? 'CLIENT-CREDENTIALS',
    state: c.state ?? 'active', roleDivisions: [...(c.roleDivisions ?? [])],
  }));
  const externals = (fx.externalSubjects ?? []).map((e) => ({ ...e }));
  const grantKey = (g) => `${g.subjectType}|${g.subjectId}|${g.roleId}|${g.divisionId}`;
  const grants = new Map();
  for (const g of fx.grants ?? []) grants.set(grantKey(g), { ...g });
  // A client's roleDivisions and its PC_OAUTH_CLIENT grants are one set.
  for (const c of clients) {
    for (const rd of c.roleDivisions) {
      const g = { subjectType: 'PC_OAUTH_CLIENT', subjectId: c.id, ...rd };
      grants.set(grantKey(g), g);
    }
  }
  for (const g of grants.values()) {
    if (g.subjectType !== 'PC_OAUTH_CLIENT') continue;
    const c = clients.find((x) => x.id === g.subjectId);
    if (c && !c.roleDivisions.some((r) => r.roleId === g.roleId && r.divisionId === g.divisionId)) {
      c.roleDivisions.push({ roleId: g.roleId, divisionId: g.divisionId });
    }
  }
  const organization = { id: fx.organization?.id ?? '', name: fx.organization?.name ?? '' };
  // v2 (issue 15): routing queues, their member rows and analytics conversations.
  const queues = (fx.queues ?? []).map((q) => ({
    id: q.id, name: q.name, divisionId: q.divisionId,
    memberGroups: (q.memberGroups ?? []).map((g) => ({ id: g.id, name: g.name ?? '', type: g.type })),
  }));
  const queueMembers = (fx.queueMembers ?? []).map((m) => ({
    queueId: m.queueId, userId: m.userId, memberBy: m.memberBy ?? 'user', joined: m.joined ?? true,
  }));
  const conversations = (fx.conversations ?? []).map(conversationView);
  return { divisions, roles, users, groups, clients, externals, grants: [...grants.values()],
           organization, permissions, roleSettings, queues, queueMembers, conversations };
}

// A conversation as divaudit reads it (fixture element or AnalyticsConversationWithoutAttributes):
// id, start, end, division ids, the participants' user ids and the segments' queue ids.
function conversationView(c) {
  const users = new Set();
  const queues = new Set();
  for (const p of c.participants ?? []) {
    if (p.userId) users.add(p.userId);
    for (const s of p.sessions ?? []) {
      for (const g of s.segments ?? []) if (g.queueId) queues.add(g.queueId);
    }
  }
  return { conversationId: c.conversationId, conversationStart: c.conversationStart,
           conversationEnd: c.conversationEnd, divisionIds: [...(c.divisionIds ?? [])].sort(),
           userIds: [...users].sort(), queueIds: [...queues].sort() };
}

const org = loadFixture(fixturePath);
const divisionById = new Map(org.divisions.map((d) => [d.id, d]));
const roleById = new Map(org.roles.map((r) => [r.id, r]));
const userById = new Map(org.users.map((u) => [u.id, u]));
const groupById = new Map(org.groups.map((g) => [g.id, g]));
const clientById = new Map(org.clients.map((c) => [c.id, c]));
const externalById = new Map(org.externals.map((e) => [e.id, e]));
// --self-test: what the simulator serves instead of the fixture, and a string each mutation's
// mismatch messages must contain.
const MUTATIONS = [
  ['user renamed', (fx) => { findByName(fx.users, 'Bob Agent').name = 'Bob Renamed'; },
   'Bob Renamed'],
  ['user moved to another division', (fx) => {
    findByName(fx.users, 'Carol Agent').divisionId = findByName(fx.divisions, 'Home').id;
  }, 'getUser(Carol Agent).division.id'],
  ['user state changed', (fx) => { findByName(fx.users, 'Grace Gone').state = 'active'; },
   'getUsers(state=inactive) page 1 total'],
  ['group rolesEnabled flipped',
   (fx) => { findByName(fx.groups, 'Social Committee').rolesEnabled = true; },
   'getGroup(Social Committee).rolesEnabled'],
  ['group member removed', (fx) => { findByName(fx.groups, 'Acme Team').memberIds.pop(); },
   'getGroupMembers(Acme Team)'],
  ['trustee grant dropped', (fx) => {
    const id = findByName(fx.externalSubjects, 'Partner Auditor').id;
    fx.grants = fx.grants.filter((g) => g.subjectId !== id);
  }, 'getAuthorizationSubject(Partner Auditor).grants'],
  ['client roleDivision moved off *', (fx) => {
    findByName(fx.oauthClients, 'Org Backup Integration').roleDivisions[0].divisionId =
      findByName(fx.divisions, 'Home').id;
  }, 'getOauthClient(Org Backup Integration).roleDivisions'],
  ['organization renamed', (fx) => { fx.organization.name = 'Renamed Org'; },
   'getOrganizationsMe.name'],
  ['division renamed', (fx) => { findByName(fx.divisions, 'Globex Health').name = 'Globex'; },
   '"Globex"'],
  ['catalog divisionAware flipped', (fx) => {
    fx.permissions.find((c) => c.action === 'admin').divisionAware = true;
  }, 'getAuthorizationPermissions'],
  ['role setting flipped', (fx) => { fx.roleSettings.authorizationGrantDivisionAware = true; },
   'getAuthorizationRolesSettings.authorizationGrantDivisionAware'],
  ['role policy un-narrowed', (fx) => {
    findByName(fx.roles, 'Supervisor').permissionPolicies[0].narrowed = false;
  }, 'permissionPolicies'],
  ['queue moved to another division', (fx) => {
    findByName(fx.queues, 'Globex Care').divisionId = findByName(fx.divisions, 'Home').id;
  }, 'getRoutingQueues[9c000002-0000-4000-8000-000000001002].division.id'],
  ['queue member via a group listed as direct', (fx) => {
    fx.queueMembers.find((m) => m.memberBy === 'group').memberBy = 'user';
  }, '.memberBy'],
  ['queue member unjoined', (fx) => {
    fx.queueMembers.find((m) => m.joined !== false).joined = false;
  }, '.joined'],
  ['conversation lost a division', (fx) => { fx.conversations[0].divisionIds.pop(); },
   'divisionIds'],
  ['open conversation ended', (fx) => {
    fx.conversations.find((c) => !c.conversationEnd).conversationEnd = '2026-11-21T09:40:00.000Z';
  }, 'conversationEnd'],
];

function findByName(list, name) {
  const x = (list ?? []).find((e) => e.name === name);
  if (x === undefined) usage(`--self-test needs '${name}' in the fixture`);
  return x;
}

let simOrgPath = fixturePath;
let tempDir = null;
if (selfTest) {
  const fx = JSON.parse(readFileSync(fixturePath, 'utf8'));
  for (const [, mutate] of MUTATIONS) mutate(fx);
  tempDir = mkdtempSync(path.join(os.tmpdir(), 'divaudit-conformance-'));
  simOrgPath = path.join(tempDir, 'mutated.json');
  writeFileSync(simOrgPath, JSON.stringify(fx));
}

const usersIn = (state) => org.users.filter((u) => state === 'any' || u.state === state);
const groupsOf = (userId) => org.groups.filter((g) => g.memberIds.includes(userId));

function subjectName(id) {
  return (userById.get(id) ?? groupById.get(id) ?? clientById.get(id) ?? externalById.get(id))
    ?.name;
}

// A division reference {id, name, selfUri}: no name for "*" or ids the org lacks.
function divisionRef(id) {
  return { id, name: id === ALL ? undefined : divisionById.get(id)?.name,
           selfUri: `/api/v2/authorization/divisions/${encodeURIComponent(id)}` };
}

function compareDivision(label, got, d) {
  compareObject(label, got, {
    id: d.id, name: d.name, description: d.description, homeDivision: d.homeDivision,
    selfUri: `/api/v2/authorization/divisions/${d.id}`,
  });
}

function compareUser(label, got, u, { groups = false } = {}) {
  compareObject(label, got, {
    id: u.id, name: u.name, email: u.email, state: u.state,
    selfUri: `/api/v2/users/${u.id}`,
  });
  if (u.divisionId === '') {
    check(`${label}.division`, !('division' in got), 'expected absent');
  } else {
    compareObject(`${label}.division`, got.division, divisionRef(u.divisionId));
  }
  if (groups) {
    compareList(`${label}.groups`, got.groups, groupsOf(u.id), byId, (l, g, w) =>
      compareObject(l, g, { id: w.id, selfUri: `/api/v2/groups/${w.id}` }));
  } else {
    check(`${label}.groups`, !('groups' in got), 'expected absent without expand=groups');
  }
}

function compareGroup(label, got, g) {
  compareObject(label, got, {
    id: g.id, name: g.name, rolesEnabled: g.rolesEnabled, memberCount: g.memberIds.length,
    selfUri: `/api/v2/groups/${g.id}`,
  });
}

function compareClient(label, got, c) {
  compareObject(label, got, {
    id: c.id, name: c.name, authorizedGrantType: c.authorizedGrantType, state: c.state,
    selfUri: `/api/v2/oauth/clients/${c.id}`,
  });
  const rdKey = (r) => `${r.roleId}|${r.divisionId}`;
  compareList(`${label}.roleDivisions`, got.roleDivisions, c.roleDivisions, rdKey, (l, g, w) =>
    compareObject(l, g, { roleId: w.roleId, divisionId: w.divisionId }));
}

// An AuthzGrant: subjectId, role {id, name}, division (a full AuthzDivision when known).
function compareGrant(label, got, g) {
  compareObject(label, got, { subjectId: g.subjectId });
  check(`${label}.grantMadeAt`, typeof got.grantMadeAt === 'string' &&
        !Number.isNaN(Date.parse(got.grantMadeAt)), `got ${canon(got.grantMadeAt)}`);
  compareObject(`${label}.role`, got.role, {
    id: g.roleId, name: roleById.get(g.roleId)?.name,
    selfUri: `/api/v2/authorization/roles/${g.roleId}`,
  });
  const d = divisionById.get(g.divisionId);
  if (d) {
    compareDivision(`${label}.division`, got.division, d);
  } else {
    compareObject(`${label}.division`, got.division, divisionRef(g.divisionId));
  }
}

// Key of an AuthzGrant from the SDK or of a fixture grant: subject|role|division.
const grantKeyOf = (g) =>
  `${g.subjectId}|${g.role?.id ?? g.roleId}|${g.division?.id ?? g.divisionId}`;

// ---------------------------------------------------------------------------------------------
// The checks.

async function checkLogin() {
  // Wrong secret and unknown client: the login promise rejects with the HTTP error (the SDK
  // passes the axios error through), status 401 and an OAuth error body.
  for (const [label, id, secret] of [['wrong secret', CLIENT_ID, 'not-the-secret'],
                                     ['unknown client', 'no-such-client', CLIENT_SECRET]]) {
    try {
      await client.loginClientCredentialsGrant(id, secret);
      fail(`login with ${label}: expected a rejection, it succeeded`);
    } catch (e) {
      ++objectsCompared;
      eq(`login with ${label}: HTTP status`, e?.response?.status, 401);
      const body = e?.response?.data ?? {};
      eq(`login with ${label}: error`, body.error, 'invalid_client');
      check(`login with ${label}: error_description`, typeof body.error_description === 'string',
            `got ${canon(body)}`);
      check(`login with ${label}: the secret leaks into the body`,
            !canon(body).includes(secret));
    }
  }
  const before = Date.now();
  const auth = await client.loginClientCredentialsGrant(CLIENT_ID, CLIENT_SECRET);
  ++objectsCompared;
  check('login: accessToken', typeof auth.accessToken === 'string' && auth.accessToken !== '',
        `got ${canon(auth.accessToken)}`);
  check('login: tokenExpiryTime', auth.tokenExpiryTime > before + 3600 * 1000,
        `got ${canon(auth.tokenExpiryTime)} (expires_in should be the default 86400 s)`);
}

async function checkDivisions() {
  const all = await pageAll('getAuthorizationDivisions',
    (p) => call('AuthorizationApi', 'getAuthorizationDivisions', p),
    { pageSize: 2, total: org.divisions.length, apiPath: '/api/v2/authorization/divisions' });
  compareList('getAuthorizationDivisions', all, org.divisions, byId, compareDivision);

  // A page past the end: no entities, the same total and pageCount, no nextUri.
  const pastCount = Math.ceil(org.divisions.length / 2);
  const past = await call('AuthorizationApi', 'getAuthorizationDivisions',
                          { pageSize: 2, pageNumber: pastCount + 1 });
  ++pagesRead;
  compareObject('getAuthorizationDivisions past the end', past, {
    entities: [], pageSize: 2, pageNumber: pastCount + 1, total: org.divisions.length,
    pageCount: pastCount, nextUri: undefined,
  });

  // id= filter: the SDK sends the ids comma-separated (id=a,b); an unknown id matches nothing.
  const some = org.divisions.slice(1, 3);
  const filtered = await call('AuthorizationApi', 'getAuthorizationDivisions',
    { id: [...some.map(byId), 'ffffffff-0000-4000-8000-000000000000'], pageSize: 25 });
  ++pagesRead;
  eq('getAuthorizationDivisions(id=…) total', filtered.total, some.length);
  compareList('getAuthorizationDivisions(id=…)', filtered.entities, some, byId, compareDivision);

  const home = org.divisions.filter((d) => d.homeDivision);
  eq('fixture: home divisions', home.length, 1);
  compareDivision('getAuthorizationDivisionsHome',
    await call('AuthorizationApi', 'getAuthorizationDivisionsHome'), home[0]);
  for (const d of org.divisions) {
    compareDivision(`getAuthorizationDivision(${d.id})`,
      await call('AuthorizationApi', 'getAuthorizationDivision', d.id), d);
  }
  await expectError('getAuthorizationDivision(unknown)',
    call('AuthorizationApi', 'getAuthorizationDivision', 'ffffffff-0000-4000-8000-000000000000'),
    404, 'not.found');

  // Division grants: every direct grant on the division, any subject type; no URIs.
  for (const d of org.divisions) {
    const want = org.grants.filter((g) => g.divisionId === d.id);
    const got = await pageAll(`getAuthorizationDivisionGrants(${d.name})`,
      (p) => call('AuthorizationApi', 'getAuthorizationDivisionGrants', d.id, p),
      { pageSize: 2, total: want.length, uris: false });
    compareList(`getAuthorizationDivisionGrants(${d.name})`, got, want, grantKeyOf, compareGrant);
  }

  const permitted = [];
  await pageAll('getAuthorizationDivisionspermittedPagedMe', async (p) => {
    const page = await call('AuthorizationApi', 'getAuthorizationDivisionspermittedPagedMe',
                            PERMISSION, p);
    eq(`getAuthorizationDivisionspermittedPagedMe page ${p.pageNumber} allDivsPermitted`,
       page.allDivsPermitted, true);
    permitted.push(...(page.entities ?? []));
    return page;
  }, { pageSize: 3, total: org.divisions.length,
       apiPath: '/api/v2/authorization/divisionspermitted/paged/me',
       keep: { permission: PERMISSION } });
  compareList('getAuthorizationDivisionspermittedPagedMe', permitted, org.divisions, byId,
              compareDivision);
}

// Users holding the role by a direct grant (the sim's userCount).
const userCount = (roleId) =>
  new Set(org.grants.filter((g) => g.subjectType === 'PC_USER' && g.roleId === roleId)
    .map((g) => g.subjectId)).size;

async function checkRoles() {
  const all = await pageAll('getAuthorizationRoles(userCount=false)',
    (p) => call('AuthorizationApi', 'getAuthorizationRoles', { ...p, userCount: false }),
    { pageSize: 2, total: org.roles.length, apiPath: '/api/v2/authorization/roles',
      keep: { userCount: 'false' } });
  compareList('getAuthorizationRoles(userCount=false)', all, org.roles, byId, (l, g, r) => {
    compareObject(l, g, { id: r.id, name: r.name, userCount: undefined,
                          selfUri: `/api/v2/authorization/roles/${r.id}` });
    comparePolicies(`${l}.permissionPolicies`, g.permissionPolicies, r.policies);
  });

  const counted = await call('AuthorizationApi', 'getAuthorizationRoles', { pageSize: 25 });
  ++pagesRead;
  compareList('getAuthorizationRoles(userCount default)', counted.entities, org.roles, byId,
    (l, g, r) => compareObject(l, g, { id: r.id, name: r.name, userCount: userCount(r.id) }));

  for (const r of org.roles) {
    compareObject(`getAuthorizationRole(${r.name})`,
      await call('AuthorizationApi', 'getAuthorizationRole', r.id),
      { id: r.id, name: r.name, userCount: userCount(r.id) });

    // Subject grants: one entity per subject holding the role, with every division.
    const bySubject = new Map();
    for (const g of org.grants.filter((x) => x.roleId === r.id)) {
      if (!bySubject.has(g.subjectId)) {
        bySubject.set(g.subjectId, { id: g.subjectId, type: g.subjectType, divisions: [] });
      }
      bySubject.get(g.subjectId).divisions.push(g.divisionId);
    }
    const want = [...bySubject.values()];
    const label = `getAuthorizationRoleSubjectgrants(${r.name})`;
    const got = await pageAll(label,
      (p) => call('AuthorizationApi', 'getAuthorizationRoleSubjectgrants', r.id, p),
      { pageSize: 2, total: want.length,
        apiPath: `/api/v2/authorization/roles/${r.id}/subjectgrants` });
    compareList(label, got, want, byId, (l, g, w) => {
      compareObject(l, g, { id: w.id, name: subjectName(w.id), type: w.type });
      compareList(`${l}.divisions`, g.divisions, w.divisions.map(divisionRef), byId,
                  compareObject);
    });
  }
  await expectError('getAuthorizationRole(unknown)',
    call('AuthorizationApi', 'getAuthorizationRole', 'ffffffff-0000-4000-8000-000000000000'),
    404, 'not.found');
}

// DomainPermissionPolicy as divaudit reads it: narrowed = a resourceConditionNode or any
// namedResources.
function comparePolicies(label, got, want) {
  const key = (p) => `${p.domain}:${p.entityName}:${[...(p.actionSet ?? [])].sort().join('+')}`;
  const asRead = (got ?? []).map((p) => ({
    domain: p.domain, entityName: p.entityName, actionSet: [...(p.actionSet ?? [])].sort(),
    narrowed: p.resourceConditionNode != null || (p.namedResources ?? []).length > 0,
  }));
  compareList(label, asRead, want, key, compareObject);
}

// v2: the permission catalog (one DomainPermissionCollection per domain, every page) and the
// role settings.
async function checkPermissions() {
  const domains = [...new Set(org.permissions.map((c) => c.domain))].sort();
  const all = await pageAll('getAuthorizationPermissions',
    (p) => call('AuthorizationApi', 'getAuthorizationPermissions', p),
    { pageSize: 2, total: domains.length, apiPath: '/api/v2/authorization/permissions' });
  eq('getAuthorizationPermissions domains', all.map((c) => c.domain), domains);
  const flat = [];
  for (const collection of all) {
    for (const [entityType, list] of Object.entries(collection.permissionMap ?? {})) {
      for (const p of list) {
        eq(`getAuthorizationPermissions ${collection.domain} key`, p.entityType, entityType);
        flat.push({ domain: p.domain, entityType: p.entityType, action: p.action,
                    divisionAware: p.divisionAware });
      }
    }
  }
  const key = (c) => `${c.domain}:${c.entityType}:${c.action}`;
  compareList('getAuthorizationPermissions', flat, org.permissions, key, compareObject);
  const settings = await call('AuthorizationApi', 'getAuthorizationRolesSettings');
  eq('getAuthorizationRolesSettings.authorizationGrantDivisionAware',
     settings.authorizationGrantDivisionAware, org.roleSettings.authorizationGrantDivisionAware);
  eq('getAuthorizationRolesSettings.backfillEnabled', settings.backfillEnabled,
     org.roleSettings.backfillEnabled);
  objectsCompared += 1;
}

// The grants GET /authorization/subjects/{id} returns: direct grants, and for a user those of
// its groups (subjectId = the group), one per role+division (direct first) unless duplicates.
function subjectGrants(id, includeDuplicates = false) {
  const direct = org.grants.filter((g) => g.subjectId === id);
  const inherited = userById.has(id)
    ? groupsOf(id).flatMap((grp) => org.grants.filter((g) => g.subjectId === grp.id))
    : [];
  if (includeDuplicates) return [...direct, ...inherited];
  const seen = new Set();
  return [...direct, ...inherited].filter((g) => {
    const k = `${g.roleId}|${g.divisionId}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

async function checkSubjects() {
  const subjects = [
    ...org.users.filter((u) => u.state !== 'deleted'), ...org.groups, ...org.clients,
    ...org.externals,
  ];
  for (const s of subjects) {
    const label = `getAuthorizationSubject(${s.name})`;
    const got = await call('AuthorizationApi', 'getAuthorizationSubject', s.id);
    compareObject(label, got, { id: s.id, name: s.name });
    compareList(`${label}.grants`, got.grants, subjectGrants(s.id), grantKeyOf, compareGrant);
    const pairs = (got.grants ?? []).map((g) => `${g.role?.id}|${g.division?.id}`);
    eq(`${label}: one grant per role+division`, new Set(pairs).size, pairs.length);
  }
  // A user holding a grant both directly and through a group: both with includeDuplicates.
  const dup = org.users.find((u) => subjectGrants(u.id, true).length > subjectGrants(u.id).length);
  check('fixture: a user with a grant both direct and via a group', dup !== undefined);
  if (dup) {
    const got = await call('AuthorizationApi', 'getAuthorizationSubject', dup.id,
                           { includeDuplicates: true });
    compareList(`getAuthorizationSubject(${dup.name}, includeDuplicates)`, got.grants,
                subjectGrants(dup.id, true), grantKeyOf, compareGrant);
  }
  await expectError('getAuthorizationSubject(unknown)',
    call('AuthorizationApi', 'getAuthorizationSubject', 'ffffffff-0000-4000-8000-000000000000'),
    404, 'not.found');
}

async function checkUsers() {
  for (const [state, pageSize] of [['active', 2], ['inactive', 2], ['deleted', 2], ['any', 3]]) {
    const want = usersIn(state);
    const label = `getUsers(state=${state})`;
    const got = await pageAll(label, (p) => call('UsersApi', 'getUsers', { ...p, state }),
      { pageSize, total: want.length, apiPath: '/api/v2/users', keep: { state } });
    compareList(label, got, want, byId, (l, g, u) => compareUser(l, g, u));
  }
  // Default state is active; expand=groups adds group references.
  const expanded = await pageAll('getUsers(expand=groups)',
    (p) => call('UsersApi', 'getUsers', { ...p, expand: ['groups'] }),
    { pageSize: 3, total: usersIn('active').length, apiPath: '/api/v2/users',
      keep: { expand: 'groups' } });
  compareList('getUsers(expand=groups)', expanded, usersIn('active'), byId,
              (l, g, u) => compareUser(l, g, u, { groups: true }));

  // id= bulk lookup (the SDK sends id=a,b,c); ids of users in another state are not listed.
  const active = usersIn('active').slice(0, 3);
  const inactive = usersIn('inactive')[0];
  const bulk = await call('UsersApi', 'getUsers',
    { id: [...active.map(byId), inactive.id], pageSize: 25 });
  ++pagesRead;
  eq('getUsers(id=…) total', bulk.total, active.length);
  compareList('getUsers(id=…)', bulk.entities, active, byId, (l, g, u) => compareUser(l, g, u));

  for (const [state, pageSize] of [[undefined, 2], ['inactive', 2], ['any', 4]]) {
    const want = usersIn(state ?? 'active');
    const label = `getUsersQuery(state=${state ?? 'default'})`;
    const got = await cursorAll(label, { pageSize, state }, want.length);
    compareList(label, got, want, byId, (l, g, u) => compareUser(l, g, u));
  }

  for (const u of org.users.filter((x) => x.state !== 'deleted')) {
    compareUser(`getUser(${u.name})`, await call('UsersApi', 'getUser', u.id), u);
    compareUser(`getUser(${u.name}, expand=groups)`,
      await call('UsersApi', 'getUser', u.id, { expand: ['groups'] }), u, { groups: true });
  }
  await expectError('getUser(unknown)',
    call('UsersApi', 'getUser', 'ffffffff-0000-4000-8000-000000000000'), 404, 'not.found');
  await expectError('getUsers(pageSize=0)', call('UsersApi', 'getUsers', { pageSize: 0 }), 400);
}

async function checkGroups() {
  const all = await pageAll('getGroups', (p) => call('GroupsApi', 'getGroups', p),
    { pageSize: 2, total: org.groups.length, apiPath: '/api/v2/groups' });
  compareList('getGroups', all, org.groups, byId, compareGroup);
  check('fixture: a group with rolesEnabled=false', org.groups.some((g) => !g.rolesEnabled));
  for (const g of org.groups) {
    compareGroup(`getGroup(${g.name})`, await call('GroupsApi', 'getGroup', g.id), g);
    // Members: deleted users are not listed.
    const want = g.memberIds.map((id) => userById.get(id))
      .filter((u) => u !== undefined && u.state !== 'deleted');
    const label = `getGroupMembers(${g.name})`;
    const got = await pageAll(label, (p) => call('GroupsApi', 'getGroupMembers', g.id, p),
      { pageSize: 2, total: want.length, apiPath: `/api/v2/groups/${g.id}/members` });
    compareList(label, got, want, byId, (l, gg, u) => compareUser(l, gg, u));
  }
  await expectError('getGroup(unknown)',
    call('GroupsApi', 'getGroup', 'ffffffff-0000-4000-8000-000000000000'), 404, 'not.found');
}

async function checkClients() {
  const listing = await call('OAuthApi', 'getOauthClients');
  ++pagesRead;
  for (const k of ['pageSize', 'pageNumber', 'total', 'pageCount', 'nextUri']) {
    check(`getOauthClients.${k}`, !(k in listing), 'expected absent (the listing is not paged)');
  }
  compareList('getOauthClients', listing.entities, org.clients, byId, compareClient);
  check('fixture: a client with roleDivisions on *',
        org.clients.some((c) => c.roleDivisions.some((r) => r.divisionId === ALL)));
  for (const c of org.clients) {
    compareClient(`getOauthClient(${c.name})`, await call('OAuthApi', 'getOauthClient', c.id), c);
  }
  await expectError('getOauthClient(unknown)',
    call('OAuthApi', 'getOauthClient', 'ffffffff-0000-4000-8000-000000000000'), 404, 'not.found');
}

// GET /api/v2/organizations/me: the organisation the sweep records (id and name).
async function checkOrganization() {
  if (org.organization.id === '') fail('fixture: organization.id missing');
  const me = await call('OrganizationApi', 'getOrganizationsMe');
  eq('getOrganizationsMe.id', me.id, org.organization.id);
  eq('getOrganizationsMe.name', me.name, org.organization.name);
  objectsCompared += 1;
}

async function checkAuthErrors() {
  const token = client.authentications['PureCloud OAuth'].accessToken;
  client.setAccessToken('bogus');
  await expectError('getAuthorizationDivisionsHome with a bogus token',
    call('AuthorizationApi', 'getAuthorizationDivisionsHome'), 401, 'bad.credentials');
  client.setAccessToken('');
  await expectError('getAuthorizationDivisionsHome without a token',
    call('AuthorizationApi', 'getAuthorizationDivisionsHome'), 401, 'authentication.required');
  client.setAccessToken(token);

  // Extended responses: headers every API response carries; contextId = inin-correlation-id.
  client.setReturnExtendedResponses(true);
  try {
    const ok = await apis.AuthorizationApi.getAuthorizationDivisionsHome();
    ++objectsCompared;
    eq('extended response status', ok.status, 200);
    check('content-type', /^application\/json/.test(ok.headers?.['content-type'] ?? ''),
          `got ${canon(ok.headers?.['content-type'])}`);
    for (const h of ['inin-correlation-id', 'inin-ratelimit-allowed', 'inin-ratelimit-count',
                     'inin-ratelimit-reset']) {
      check(`header ${h}`, typeof ok.headers?.[h] === 'string', 'missing');
    }
    try {
      await apis.AuthorizationApi.getAuthorizationDivision('ffffffff-0000-4000-8000-000000000000');
      fail('extended 404: the call succeeded');
    } catch (e) {
      ++objectsCompared;
      eq('extended 404 status', e.status, 404);
      eq('extended 404: ErrorBody.contextId = inin-correlation-id', e.body?.contextId,
         e.headers?.['inin-correlation-id']);
    }
  } finally {
    client.setReturnExtendedResponses(false);
  }
}

// A second simulator with --inactive-limit 3: page-number listing of inactive users fails past
// it with 400; the cursor listing still reaches every inactive user.
async function checkInactiveLimit(sim) {
  useSim(sim);
  await client.loginClientCredentialsGrant(CLIENT_ID, CLIENT_SECRET);
  const inactive = usersIn('inactive');
  check('fixture: more than 3 inactive users would be needed for --inactive-limit 3 to bite',
        inactive.length >= 3, `have ${inactive.length}`);
  const first = await call('UsersApi', 'getUsers', { state: 'inactive', pageSize: 2 });
  ++pagesRead;
  eq('inactive limit: page 1 total', first.total, inactive.length);
  const next = parseUri('inactive limit: page 1 nextUri', first.nextUri, '/api/v2/users');
  const pageNumber = Number(next?.get('pageNumber') ?? 2);
  await expectError('getUsers(state=inactive) past --inactive-limit 3',
    call('UsersApi', 'getUsers', { state: 'inactive', pageSize: 2, pageNumber }), 400);
  const got = await cursorAll('getUsersQuery(state=inactive) past the limit',
                              { pageSize: 2, state: 'inactive' }, inactive.length);
  compareList('getUsersQuery(state=inactive) past the limit', got, inactive, byId,
              (l, g, u) => compareUser(l, g, u));
}

// The realtime audit trail: admin mutations made as a partner-org user and as an OAuth client
// come back from postAuditsQueryRealtime as AuditLogMessages (SDK model), filtered by service,
// paged, with the actor; an interval older than 14 days is a 400.
let auditSim = null;
async function checkAudit() {
  const role = org.roles[0].id;
  const user = org.users[0].id;
  const division = org.divisions[0].id;
  const admin = async (query, body) => {
    const r = await fetch(`http://127.0.0.1:${auditSim.port}/sim/grants?${query}`,
                          { method: 'POST', body: JSON.stringify(body) });
    check(`admin grant (${query})`, r.status === 200, `HTTP ${r.status}`);
  };
  const from = new Date(Date.now() - 60000).toISOString();
  await admin('actorType=partner&actorName=Pat%20Partner&auditShape=changes',
              { subjectType: 'PC_USER', subjectId: user, roleId: role, divisionId: division });
  await admin('actorType=client&actorId=c-conf&actorName=Conf%20Bot',
              { subjectType: 'PC_USER', subjectId: user, roleId: role, divisionId: '*' });
  const to = new Date(Date.now() + 60000).toISOString();
  const query = (extra) => call('AuditApi', 'postAuditsQueryRealtime',
                                { interval: `${from}/${to}`, serviceName: 'PeoplePermissions',
                                  ...extra }, { expand: ['user'] });
  const all = await query({ pageSize: 25 });
  eq('postAuditsQueryRealtime.total', all.total, 2);
  const [byPartner, byClient] = all.entities ?? [];
  eq('partner event.entity.id', byPartner?.entity?.id, role);
  eq('partner event.entityType', byPartner?.entityType, 'Role');
  eq('partner event.action', byPartner?.action, 'MemberAdd');
  eq('partner event.user.name (expand=user)', byPartner?.user?.name, 'Pat Partner');
  check('partner event.userHomeOrgId is another org', byPartner?.userHomeOrgId === 'partner-org',
        canon(byPartner?.userHomeOrgId));
  eq('partner event.entityChanges[0].entityId', byPartner?.entityChanges?.[0]?.entityId, user);
  eq('client event.client.id', byClient?.client?.id, 'c-conf');
  check('client event has no user', byClient?.user === undefined, canon(byClient?.user));
  const page2 = await query({ pageSize: 1, pageNumber: 2 });
  eq('postAuditsQueryRealtime page 2 of 2', [page2.pageNumber, page2.pageCount,
                                              page2.entities?.[0]?.id], [2, 2, byClient?.id]);
  const groups = await call('AuditApi', 'postAuditsQueryRealtime',
                            { interval: `${from}/${to}`, serviceName: 'Groups' });
  eq('postAuditsQueryRealtime(Groups).total', groups.total, 0);
  const old = new Date(Date.now() - 15 * 24 * 3600 * 1000).toISOString();
  await expectError('postAuditsQueryRealtime older than 14 days',
                    apis.AuditApi.postAuditsQueryRealtime({ interval: `${old}/${to}` }), 400);
}

// v2 (issue 15): routing queues (paged, division, memberGroups, memberCount) and every queue's
// members (paged by nextUri, no count: QueueMemberEntityListing; memberBy user|group, joined,
// the user), pageSize above 100 refused.
async function checkQueues() {
  check('fixture: a queue with member groups', org.queues.some((q) => q.memberGroups.length > 0));
  const all = await pageAll('getRoutingQueues', (p) => call('RoutingApi', 'getRoutingQueues', p),
    { pageSize: 2, total: org.queues.length, apiPath: '/api/v2/routing/queues' });
  compareList('getRoutingQueues', all, org.queues, byId, (l, g, q) => {
    const rows = org.queueMembers.filter((m) => m.queueId === q.id);
    compareObject(l, g, { id: q.id, name: q.name, memberCount: rows.length });
    eq(`${l}.division.id`, g.division?.id, q.divisionId);
    eq(`${l}.memberGroups`, (g.memberGroups ?? []).map((x) => ({ id: x.id, name: x.name, type: x.type }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    [...q.memberGroups].sort((a, b) => a.id.localeCompare(b.id)));
  });
  for (const q of org.queues) {
    const want = org.queueMembers.filter((m) => m.queueId === q.id).map((m) => ({ ...m,
      id: m.userId, name: userById.get(m.userId)?.name }));
    const label = `getRoutingQueueMembers(${q.name})`;
    const got = await pageAll(label, (p) => call('RoutingApi', 'getRoutingQueueMembers', q.id, p),
      { pageSize: 2, total: want.length, counted: false,
        apiPath: `/api/v2/routing/queues/${q.id}/members` });
    compareList(label, got, want, byId, (l, g, m) => {
      compareObject(l, g, { id: m.id, name: m.name, memberBy: m.memberBy, joined: m.joined });
      eq(`${l}.user.id`, g.user?.id, m.userId);
    });
  }
  await expectError('getRoutingQueueMembers(pageSize=101)',
    call('RoutingApi', 'getRoutingQueueMembers', org.queues[0].id, { pageSize: 101 }), 400);
  await expectError('getRoutingQueueMembers(unknown queue)',
    call('RoutingApi', 'getRoutingQueueMembers', 'ffffffff-0000-4000-8000-000000000000'), 404,
    'not.found');
}

// v2 (issue 15): POST /analytics/conversations/details/query (interval half-open on
// conversationStart, paged, totalHits) and GET /analytics/conversations/{id}/details.
async function checkConversations() {
  const want = org.conversations;
  check('fixture: a conversation that has not ended', want.some((c) => !c.conversationEnd));
  const first = want[0].conversationStart;
  const after = new Date(Date.parse(want[want.length - 1].conversationStart) + 1).toISOString();
  const query = (interval, pageNumber, pageSize = 2) =>
    call('AnalyticsApi', 'postAnalyticsConversationsDetailsQuery',
         { interval, order: 'asc', orderBy: 'conversationStart',
           paging: { pageSize, pageNumber } });
  const got = [];
  const pages = Math.ceil(want.length / 2);
  for (let n = 1; n <= pages; ++n) {
    const page = await query(`${first}/${after}`, n);
    ++pagesRead;
    eq(`postAnalyticsConversationsDetailsQuery page ${n} totalHits`, page.totalHits, want.length);
    got.push(...(page.conversations ?? []));
  }
  const past = await query(`${first}/${after}`, pages + 1);
  check('postAnalyticsConversationsDetailsQuery past the end: no conversations',
        past.conversations === undefined, canon(past.conversations));
  eq('postAnalyticsConversationsDetailsQuery (in start order)',
     got.map((c) => c.conversationId), want.map((c) => c.conversationId));
  compareList('postAnalyticsConversationsDetailsQuery', got.map(conversationView), want,
              (c) => c.conversationId, (l, g, w) => eq(l, g, w));
  // Half-open: a conversation starting exactly at the interval's end is not in it.
  const last = want[want.length - 1];
  const before = await query(`${first}/${last.conversationStart}`, 1, 100);
  eq('postAnalyticsConversationsDetailsQuery (end excluded) totalHits', before.totalHits,
     want.filter((c) => c.conversationStart < last.conversationStart).length);
  for (const w of want) {
    const c = await call('AnalyticsApi', 'getAnalyticsConversationDetails', w.conversationId);
    eq(`getAnalyticsConversationDetails(${w.conversationId})`, conversationView(c), w);
  }
  await expectError('getAnalyticsConversationDetails(unknown)',
    call('AnalyticsApi', 'getAnalyticsConversationDetails', 'ffffffff-0000-4000-8000-000000000000'),
    404, 'not.found');
  await expectError('postAnalyticsConversationsDetailsQuery(pageSize=101)',
                    query(`${first}/${after}`, 1, 101), 400);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  let sim;
  let limited;
  try {
    sim = await startSim([]);
    limited = await startSim(['--inactive-limit', '3']);
  } catch (e) {
    console.error(`conformance: ${e.message}`);
    process.exit(2);
  }
  // Each group runs even when an earlier one failed; login failing stops everything.
  useSim(sim);
  const groups = [['login', checkLogin], ['divisions', checkDivisions], ['roles', checkRoles],
                  ['subjects', checkSubjects], ['users', checkUsers], ['groups', checkGroups],
                  ['oauth clients', checkClients], ['organization', checkOrganization],
                  ['permissions', checkPermissions],
                  ['routing queues', checkQueues], ['conversations', checkConversations],
                  ['auth errors', checkAuthErrors],
                  ['audit trail', () => { auditSim = sim; return checkAudit(); }],
                  ['inactive limit', () => checkInactiveLimit(limited)]];
  for (const [name, run] of groups) {
    try {
      await run();
    } catch (e) {
      fail(`unexpected error in the ${name} checks: ${e instanceof Error ? e.stack : canon(e)}`);
      if (name === 'login') break;
    }
  }
  await stopSim(sim);
  await stopSim(limited);
  if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
  if (selfTest) {
    let missed = 0;
    for (const [name, , marker] of MUTATIONS) {
      const hits = failures.filter((f) => f.includes(marker)).length;
      console.log(`self-test: ${name}: ${hits > 0 ? `detected (${hits} mismatches)` : 'MISSED'}`);
      if (hits === 0) ++missed;
    }
    const crash = failures.find((f) => f.startsWith('unexpected error'));
    if (crash) console.log(`self-test: ${crash}`);
    console.log(`self-test: ${failures.length} mismatches in all; ` +
                `${MUTATIONS.length - missed}/${MUTATIONS.length} mutations detected`);
    process.exit(missed === 0 && !crash ? 0 : 1);
  }
  for (const n of [...notes].sort()) console.log(`NOTE ${n}`);
  const summary = `${endpointsUsed.size} endpoints, ${pagesRead} pages, ${objectsCompared} ` +
                  `objects compared (SDK ${sdkVersion}, ${Date.now() - started} ms)`;
  if (failures.length > 0) {
    console.log(`${summary}: ${failures.length} mismatches`);
    for (const s of sims) if (s.stderr) console.log(`--- divaudit-sim stderr ---\n${s.stderr}`);
    process.exit(1);
  }
  console.log(`${summary}: all equal`);
}

await main();
