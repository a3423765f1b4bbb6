// The admin page's PKCE helpers (web/assets/pkce.js), against RFC 7636's own example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const source = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web', 'assets', 'pkce.js'), 'utf8');

function load() {
  const context = { btoa, TextEncoder, Uint8Array };
  context.window = context;
  vm.runInNewContext(source, context);
  return context.T311Pkce;
}

test('the code challenge is RFC 7636 appendix B', async () => {
  const pkce = load();
  const octets = new Uint8Array([116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121]);
  const verifier = pkce.base64url(octets);
  assert.equal(verifier, 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
  assert.equal(await pkce.challenge(globalThis.crypto, verifier), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('verifiers and states are 43 URL-safe characters from the random source, never the same', () => {
  const pkce = load();
  const seen = new Set();
  for (let i = 0; i < 50; i++) {
    const text = pkce.randomText(globalThis.crypto);
    assert.match(text, /^[A-Za-z0-9_-]{43}$/);
    seen.add(text);
  }
  assert.equal(seen.size, 50);
  let asked = 0;
  const counting = { getRandomValues: (bytes) => { asked += bytes.length; return globalThis.crypto.getRandomValues(bytes); } };
  pkce.randomText(counting);
  assert.equal(asked, 32, 'all 32 bytes come from getRandomValues');
});
