// The dev server plays API Gateway's JWT authorizer on the staff routes: it takes the pool's
// tokens and refuses with 401 a token signed by another key, an expired one (signed with the
// pool's own key, which the emulator ships) and one for another app client of the same pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { BASE_URL, cognito, createStaff, signInTokens, staffPool } from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The emulator's signing key (moto's own, in the project's venv). */
function poolKey() {
  const lib = join(here, '..', '..', '..', '.venv', 'lib');
  const python = readdirSync(lib).find((name) => name.startsWith('python3'));
  const file = join(lib, python, 'site-packages', 'moto', 'cognitoidp', 'resources', 'jwks-private.json.gz');
  return JSON.parse(gunzipSync(readFileSync(file)));
}

const bigint = (b64url) => BigInt(`0x${Buffer.from(b64url, 'base64url').toString('hex')}`);

/** RS256 with a JWK's n and d only (RSASSA-PKCS1-v1_5, SHA-256): what moto's key holds. */
function signWithJwk(jwk, data) {
  const n = bigint(jwk.n);
  const size = Buffer.from(jwk.n, 'base64url').length;
  const info = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), createHash('sha256').update(data).digest()]);
  const block = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(size - info.length - 3, 0xff), Buffer.from([0]), info]);
  let result = 1n;
  let base = BigInt(`0x${block.toString('hex')}`) % n;
  for (let e = bigint(jwk.d); e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % n;
    base = (base * base) % n;
  }
  return Buffer.from(result.toString(16).padStart(size * 2, '0'), 'hex');
}

function token(claims, signer, kid = 'dummy') {
  const head = Buffer.from(JSON.stringify({ kid, alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${head}.${body}.${signer(`${head}.${body}`).toString('base64url')}`;
}

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));

async function status(bearer) {
  const response = await fetch(new URL('/staff/v1/tickets?department=DPW', BASE_URL), {
    headers: { authorization: `Bearer ${bearer}` },
  });
  return response.status;
}

test('the staff routes take the pool tokens and refuse forged, expired and other clients\' with 401', async () => {
  await createStaff('ivy', ['dept-DPW']);
  const honest = await signInTokens('ivy');
  assert.equal(await status(honest.IdToken), 200, 'the ID token the page sends');
  assert.equal(await status(honest.AccessToken), 200, 'an access token (its client_id is the audience)');

  const claims = claimsOf(honest.IdToken);
  const now = Math.floor(Date.now() / 1000);
  const key = poolKey();
  const poolSigned = (c) => token(c, (data) => signWithJwk(key, data));
  // The pool's key signs what the authorizer takes (so what follows fails for its one reason).
  assert.equal(await status(poolSigned({ ...claims, exp: now + 600 })), 200, 'signed with the pool key');

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forged = token({ ...claims, 'cognito:groups': ['admin'] }, (data) => sign('sha256', Buffer.from(data), privateKey));
  assert.equal(await status(forged), 401, 'another key');

  assert.equal(await status(poolSigned({ ...claims, iat: now - 7200, exp: now - 3600 })), 401, 'expired');
  assert.equal(await status(poolSigned({ ...claims, iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other' })), 401, 'another pool');
  assert.equal(await status(poolSigned({ ...claims, aud: 'another-client' })), 401, 'another audience');

  // An honest token of the same pool through another app client.
  const { id } = await staffPool();
  const other = await cognito('CreateUserPoolClient', {
    UserPoolId: id, ClientName: 'another-app', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  });
  assert.equal(other.status, 200, JSON.stringify(other.data));
  const elsewhere = await signInTokens('ivy', undefined, other.data.UserPoolClient.ClientId);
  assert.equal(await status(elsewhere.IdToken), 401, 'another client\'s ID token');
  assert.equal(await status(elsewhere.AccessToken), 401, 'another client\'s access token');
  assert.equal(await status('not.a.token'), 401, 'garbage');
});
