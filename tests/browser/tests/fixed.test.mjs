// "Was it fixed?": the page the question's link opens, in the reporter's language, on a phone
// and a desktop, checked with axe-core; the reporter answers yes (English) and no with a
// comment (Spanish), and "no" reopens the request. The question itself goes out days after
// closing (tests/tests/digest.rs runs the digest with a set clock); here the link is issued
// straight into the emulator's table, as the digest issues it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  BASE_URL,
  DESKTOP,
  EMULATOR_URL,
  PHONE,
  launch,
  open,
  screenshot,
  assertAccessible,
  assertNoProblems,
  fileRequest,
  staffToken,
  signInOnPage,
  url,
} from './helpers.mjs';

const TABLE = `${process.env.RESOURCE_PREFIX || 'town311-browser'}-tickets`;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core (WCAG 2.0/2.1 A and AA) on a page of a heading and a paragraph, where fewer rules
 * apply than the shared helper expects to pass.
 */
async function assertAccessibleShort(page, label) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  const violations = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}`);
  assert.deepEqual(violations, [], `axe-core found violations on ${label}:\n${violations.join('\n')}`);
  assert.ok(result.passes.length >= 5, `axe-core checked ${label}`);
}

let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A pothole reported by email in `language`, closed by the clerk. */
async function closedRequest(language) {
  const id = await fileRequest({
    service_code: 'POTHOLE',
    address_string: '12 Elm Street',
    'attribute[SIZE]': 'small',
    description: 'Hole by the crossing',
    email: `fixed-${language}-${randomBytes(4).toString('hex')}@example.org`,
    language,
  });
  const token = await staffToken('ana', ['dept-DPW']);
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const view = await (
      await fetch(new URL(`/staff/v1/tickets/${id}`, BASE_URL), { headers: { authorization: `Bearer ${token}` } })
    ).json();
    const response = await fetch(new URL(`/staff/v1/tickets/${id}/actions`, BASE_URL), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'set_status', status: 'closed', resolution: 'fixed', version: view.ticket.version }),
    });
    if (response.status === 200) return id;
    assert.equal(response.status, 412, await response.text());
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`could not close ${id}`);
}

/** The question's link for a ticket, as the digest keeps it (a random token in the table). */
async function issueLink(id) {
  const link = randomBytes(16).toString('hex');
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const response = await fetch(EMULATOR_URL, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.PutItem',
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify({
      TableName: TABLE,
      Item: {
        pk: { S: `FIXCHECK#${link}` },
        sk: { S: 'FIXCHECK' },
        entity: { S: 'fix_check' },
        ticket_id: { S: id },
        contact_key: { S: 'browser-test' },
        expires_at: { N: String(expires) },
      },
    }),
  });
  assert.equal(response.status, 200, await response.text());
  return new URL(`/citizen/v1/fixed?token=${link}`, BASE_URL).toString();
}

for (const [language, question, yes, no, send] of [
  ['en', /^Was request .+ fixed\?$/, 'Yes, it is fixed', 'No, it is not fixed', 'Send my answer'],
  ['es', /^¿Se resolvió la solicitud .+\?$/, 'Sí, está resuelto', 'No, no está resuelto', 'Enviar mi respuesta'],
]) {
  test(`the question's page in ${language}, on a phone and a desktop, and the answer`, async () => {
    const id = await closedRequest(language);
    const link = await issueLink(id);
    for (const [device, name] of [
      [PHONE, 'phone'],
      [DESKTOP, 'desktop'],
    ]) {
      const page = await open(browser, { device, lang: language });
      await page.goto(`${link}&answer=${language === 'en' ? 'yes' : 'no'}`);
      assert.equal(await page.getAttribute('html', 'lang'), language);
      assert.match(await page.getByRole('heading', { level: 1 }).textContent(), question);
      assert.equal(await page.getByLabel(language === 'en' ? yes : no).isChecked(), true, 'the link chose');
      await assertAccessible(page, `the "was it fixed?" page (${language}, ${name})`);
      await screenshot(page, `fixed-question-${language}-${name}`);
      assertNoProblems(page);
      if (name === 'desktop') {
        // English says yes; Spanish says no, with a comment, and the request reopens.
        if (language === 'es') {
          await page.getByLabel(/comentario/).fill('Sigue igual de hondo.');
        }
        await page.getByRole('button', { name: send }).click();
        await page.getByRole('heading', { level: 1, name: language === 'en' ? 'Thank you' : 'Gracias' }).waitFor();
        assert.match(
          await page.locator('main p').first().textContent(),
          language === 'en' ? /glad request .+ is fixed/ : /Reabrimos la solicitud/,
        );
        await assertAccessibleShort(page, `the answer's page (${language})`);
        await screenshot(page, `fixed-answered-${language}-${name}`);
        assertNoProblems(page);
      }
      await page.context().close();
    }
    const status = await (await fetch(new URL(`/open311/v2/requests/${id}.json`, BASE_URL))).json();
    assert.equal(status[0].status, language === 'en' ? 'closed' : 'open');

    // The clerk reads the answer in the ticket's history.
    const admin = await open(browser, { device: DESKTOP });
    await admin.goto(url('/admin') + `#ticket/${id}`);
    await signInOnPage(admin, 'ana', ['dept-DPW']);
    const history = admin.getByRole('region', { name: new RegExp(`^${id}`) }).locator('#detail-history');
    const said = language === 'en' ? '(the reporter says it was fixed)' : '(the reporter says it was not fixed)';
    await history.getByText(said, { exact: false }).waitFor();
    if (language === 'es') await history.getByText('Sigue igual de hondo.', { exact: false }).waitFor();
    await admin.context().close();
  });
}

test('a forged link says it has expired, in both languages', async () => {
  const page = await open(browser, { device: PHONE });
  const response = await page.goto(new URL('/citizen/v1/fixed?token=forged', BASE_URL).toString());
  assert.equal(response.status(), 404);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'This link has expired');
  assert.equal(await page.getByRole('heading', { level: 2 }).textContent(), 'Este enlace ha caducado');
  await assertAccessibleShort(page, 'the expired link page');
  await screenshot(page, 'fixed-expired');
  await page.context().close();
});
