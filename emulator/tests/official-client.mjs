// Drives the official `backendless` npm client (8.0.0) against the real backendless-emulator binary.
// Run from the repository root: `node --test emulator/tests/official-client.mjs`
// (after `cargo build -p backendless-emulator --profile server`; BACKENDLESS_EMULATOR_BIN overrides the binary).
// The server is started here on port 0 with an in-memory store and stopped by PID at the end.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import Backendless from 'backendless';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary =
  process.env.BACKENDLESS_EMULATOR_BIN ?? path.join(here, '..', '..', 'target', 'server', 'backendless-emulator');
const APP_ID = 'OFFICIAL-APP';
const API_KEY = 'OFFICIAL-KEY';
const EMAIL = 'official@example.com';
const PASSWORD = 'correct horse';

let server;
let baseUrl;

function startServer() {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`cargo build -p backendless-emulator --profile server\` first`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--port', '0', '--db', ':memory:', '--app-id', APP_ID, '--api-key', API_KEY,
      '--log-level', 'warn', '--oauth-provider', 'github'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => reject(new Error('no listening line within 10 s')), 10_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (!match) reject(new Error(`unexpected first line: ${line}`));
      else resolve({ child, url: match[1] });
    });
  });
}

async function requestLog() {
  const response = await fetch(`${baseUrl}/__emulator/requests`);
  return response.json();
}

before(async () => {
  ({ child: server, url: baseUrl } = await startServer());
  Backendless.serverURL = baseUrl;
  Backendless.initApp(APP_ID, API_KEY);
});

after(() => {
  if (server) process.kill(server.pid, 'SIGTERM');
});

test('register, login with stayLoggedIn, isValidLogin, getCurrentUser, logout, 3003', async () => {
  const registered = await Backendless.UserService.register({ email: EMAIL, password: PASSWORD, name: 'Official' });
  assert.equal(registered.email, EMAIL);
  assert.equal(registered.name, 'Official');
  assert.equal(registered.password, undefined);
  assert.match(registered.objectId, /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);

  const user = await Backendless.UserService.login(EMAIL, PASSWORD, true);
  assert.equal(user.objectId, registered.objectId);
  const token = user['user-token'];
  assert.match(token, /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  assert.equal(Backendless.LocalCache.get('user-token'), token);
  assert.equal(Backendless.LocalCache.get('current-user-id'), user.objectId);

  assert.equal(await Backendless.UserService.isValidLogin(), true);

  const current = await Backendless.UserService.getCurrentUser(true);
  assert.equal(current.objectId, user.objectId);
  assert.equal(current.email, EMAIL);
  assert.equal(current.password, undefined);

  await Backendless.UserService.logout();
  assert.equal(Backendless.LocalCache.get('user-token'), undefined);
  assert.equal(await Backendless.UserService.isValidLogin(), false);
  const check = await fetch(`${baseUrl}/${APP_ID}/${API_KEY}/users/isvalidusertoken/${token}`);
  assert.equal(await check.json(), false);

  await assert.rejects(Backendless.UserService.login(EMAIL, 'wrong password'), (error) => {
    assert.equal(error.code, 3003);
    assert.equal(error.status, 401);
    assert.equal(typeof error.message, 'string');
    return true;
  });

  // What the official client put on the wire: the paths we serve, tokens redacted.
  const log = await requestLog();
  const paths = log.map((entry) => `${entry.method} ${entry.path.replace(`/${APP_ID}/${API_KEY}`, '')}`);
  for (const expected of ['GET /info', 'POST /users/register', 'POST /users/login', 'GET /users/isvalidusertoken/[redacted]',
    `GET /data/Users/${user.objectId}`, 'GET /users/logout']) {
    assert.ok(paths.includes(expected), `${expected} missing from ${JSON.stringify(paths)}`);
  }
  assert.ok(!JSON.stringify(log).includes(PASSWORD));
  assert.ok(!JSON.stringify(log).includes(token));
  const logout = log.find((entry) => entry.path.endsWith('/users/logout'));
  assert.equal(logout.headers['user-token'], '[redacted]');
  assert.equal(logout.tokenUserId, user.objectId);
});

test('getUserRoles, update, resendEmailConfirmation (3103 with the option off)', async () => {
  const email = 'profile@example.com';
  await Backendless.UserService.logout().catch(() => {});
  assert.deepEqual(await Backendless.UserService.getUserRoles(), ['NotAuthenticatedUser']);
  await Backendless.UserService.register({ email, password: PASSWORD });
  const user = await Backendless.UserService.login(email, PASSWORD, true);
  assert.deepEqual(await Backendless.UserService.getUserRoles(), ['AuthenticatedUser']);

  user.name = 'Updated';
  const updated = await Backendless.UserService.update(user);
  assert.equal(updated.objectId, user.objectId);
  assert.equal(updated.name, 'Updated');
  assert.equal(updated.password, undefined);
  assert.ok(updated.updated > user.updated);
  const read = await (await fetch(`${baseUrl}/${APP_ID}/${API_KEY}/data/Users/${user.objectId}`, {
    headers: { 'user-token': user['user-token'] },
  })).json();
  assert.equal(read.name, 'Updated');

  await assert.rejects(Backendless.UserService.resendEmailConfirmation(email), (error) => {
    assert.equal(error.code, 3103);
    return true;
  });
  await Backendless.UserService.logout();
});

test('loginWithOauth2 with an access token from the local provider, getAuthorizationUrlLink', async () => {
  const response = await fetch(`${baseUrl}/oauth-provider/github/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'octo@example.com', name: 'Octo Cat' }),
  });
  assert.equal(response.status, 200);
  const account = await response.json();

  const user = await Backendless.UserService.loginWithOauth2('github', account.access_token, true);
  assert.equal(user.email, 'octo@example.com');
  assert.equal(user.name, 'Octo Cat');
  assert.deepEqual(user.oAuthIdentities, [{ providerCode: 'github', oAuthId: account.id, displayName: 'Octo Cat' }]);
  assert.match(user['user-token'], /^[0-9A-F]{8}-/);
  assert.equal(Backendless.LocalCache.get('user-token'), user['user-token']);
  assert.deepEqual(await Backendless.UserService.getUserRoles(), ['AuthenticatedUser']);
  const again = await Backendless.UserService.loginWithOauth2('github', account.access_token);
  assert.equal(again.objectId, user.objectId);

  await assert.rejects(Backendless.UserService.loginWithOauth2('github', 'not-a-token'), (error) => {
    assert.equal(error.code, 3211);
    return true;
  });
  await assert.rejects(Backendless.UserService.loginWithOauth2('facebook', account.access_token), (error) => {
    assert.equal(error.code, 3210);
    return true;
  });

  const url = await Backendless.UserService.getAuthorizationUrlLink('github', { name: 'name' }, ['read:user'], undefined,
    'http://localhost:5173/signed-in');
  assert.equal(typeof url, 'string');
  const parsed = new URL(url);
  assert.equal(parsed.pathname, '/oauth-provider/github/authorize');
  assert.equal(parsed.searchParams.get('scope'), 'read:user');
  assert.equal(parsed.searchParams.get('redirect_uri'), `${baseUrl}/${APP_ID}/${API_KEY}/users/oauth/github/callback`);
  assert.match(parsed.searchParams.get('state'), /^[0-9a-f]{64}$/);

  const log = JSON.stringify(await requestLog());
  assert.ok(!log.includes(account.access_token), 'the access token is redacted from the request log');
  await Backendless.UserService.logout();
});
