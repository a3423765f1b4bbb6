// The form's forgiving intake, in English and Spanish, each state checked with axe-core: the
// town's banner, a service that asks to call instead, an answer that does, a question without
// a place and its follow-up question, and a phone number that cannot be texted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, PHONE, launch, open, url, screenshot, assertAccessible, assertNoProblems, staffToken, signInOnPage } from './helpers.mjs';

const BANNER = {
  text: 'No trash pickup on Thursday: Thursday routes go Friday.',
  text_es: 'No hay recogida el jueves: las rutas del jueves pasan el viernes.',
};

let browser;
let admin;
before(async () => {
  browser = await launch();
  admin = await staffToken('ada', ['admin']);
  const set = await fetch(`${BASE_URL}/staff/v1/banner`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(BANNER),
  });
  assert.equal(set.status, 200, await set.text());
});
after(async () => {
  // The other pages' tests see no banner.
  await fetch(`${BASE_URL}/staff/v1/banner`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
  await browser?.close();
});

async function chooseService(page, name) {
  await page.getByLabel(new RegExp(`^${name}`)).check();
}

for (const lang of ['en', 'es']) {
  const words = lang === 'en'
    ? { banner: BANNER.text, stop: 'Do not report this here', call: 'Call 911', required: 'Answer this question', updates: 'We cannot text the phone number you gave' }
    : { banner: BANNER.text_es, stop: 'No lo reporte aquí', call: 'Llame al 911', required: 'Responda esta pregunta', updates: 'No podemos enviar mensajes de texto al número que dio' };

  test(`the banner shows on the form and the status page (${lang})`, async () => {
    const page = await open(browser, { device: PHONE, lang });
    await page.goto(url('/', lang));
    const banner = page.locator('#banner');
    await banner.getByText(words.banner).waitFor();
    assert.equal(await banner.getAttribute('aria-label'), lang === 'en' ? 'Notice from the town' : 'Aviso del municipio');
    await assertAccessible(page, `the form with the banner (${lang})`);
    await screenshot(page, `citizen-form-banner-${lang}`);
    await page.goto(url('/status', lang));
    await page.locator('#banner').getByText(words.banner).waitFor();
    await assertAccessible(page, `the status page with the banner (${lang})`);
    assertNoProblems(page);
    await page.context().close();
  });

  test(`a service that asks to call instead hides the form and never submits (${lang})`, async () => {
    const page = await open(browser, { device: PHONE, lang });
    let posted = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/open311/v2/requests')) posted += 1;
    });
    await page.goto(url('/', lang));
    await chooseService(page, 'Smell of gas');
    const stop = page.locator('#service-stop');
    await stop.getByText(words.stop).waitFor();
    await stop.getByText(/call 911 from outside/).waitFor();
    assert.equal(await stop.getByRole('link', { name: words.call }).getAttribute('href'), 'tel:911');
    assert.equal(await page.locator('#submit').isVisible(), false, 'nothing to send');
    assert.equal(await page.locator('#location-step').isVisible(), false);
    await assertAccessible(page, `a stop-and-call service (${lang})`);
    await screenshot(page, `citizen-form-stop-service-${lang}`);

    // Choosing another service brings the form back.
    await chooseService(page, 'Clogged storm drain');
    assert.equal(await page.locator('#submit').isVisible(), true);
    assert.equal(await stop.isVisible(), false);
    assert.equal(posted, 0);
    assertNoProblems(page);
    await page.context().close();
  });

  test(`an answer that asks to call instead is shown at the question and blocks sending (${lang})`, async () => {
    const page = await open(browser, { device: PHONE, lang });
    let posted = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/open311/v2/requests')) posted += 1;
    });
    await page.goto(url('/', lang));
    await chooseService(page, 'Streetlight');
    await page.getByLabel('The pole is down or wires are hanging').check();
    const question = page.locator('#form-q-PROBLEM');
    await question.getByRole('alert').getByText(/Downed wires can kill\./).waitFor();
    await page.locator('#address').fill('40 Oak Avenue');
    await page.locator('#submit').click();
    await page.locator('#error-summary').getByText(/Downed wires can kill\./).waitFor();
    await assertAccessible(page, `a stop-and-call answer (${lang})`);
    await screenshot(page, `citizen-form-stop-answer-${lang}`);
    assert.equal(posted, 0, 'nothing was sent');
    assertNoProblems(page);
    await page.context().close();
  });

  test(`a question without a place asks no place, and its follow-up only when it applies (${lang})`, async () => {
    const page = await open(browser, { device: PHONE, lang });
    await page.goto(url('/', lang));
    await chooseService(page, 'Question about a program or camp');
    await page.getByRole('group', { name: /Which program is it about\?/ }).waitFor();
    assert.equal(await page.locator('#location-step').isVisible(), false, 'no map, no address');
    const followUp = page.getByLabel(/^Which program\?/);
    assert.equal(await followUp.isVisible(), false, 'asked only for another program');
    await page.getByLabel('Another program', { exact: true }).check();
    await followUp.waitFor();
    await page.locator('#submit').click();
    await page.locator('#error-summary').getByText(words.required).waitFor();
    await assertAccessible(page, `a follow-up question left empty (${lang})`);
    await screenshot(page, `citizen-form-follow-up-${lang}`);

    await followUp.fill('Chess club');
    await page.locator('#description').fill('When does it start?');
    const posted = page.waitForRequest((r) => r.url().endsWith('/open311/v2/requests.json'));
    await page.locator('#submit').click();
    await page.locator('#confirmation:not([hidden])').waitFor();
    const body = (await posted).postDataBuffer().toString('utf8');
    assert.doesNotMatch(body, /name="(lat|long|address_string)"/, 'no place is sent');
    assert.match(body, /name="attribute\[OTHER_PROGRAM\]"\r\n\r\nChess club\r\n/);
    assert.equal((await page.textContent('#confirm-department')).trim(), 'Parks and Recreation');
    await assertAccessible(page, `a question's confirmation (${lang})`);
    assertNoProblems(page);
    await page.context().close();
  });

  test(`a phone number that cannot be texted is kept, and the form says how updates come (${lang})`, async () => {
    const page = await open(browser, { device: PHONE, lang });
    await page.goto(url('/', lang));
    await chooseService(page, 'Clogged storm drain');
    await page.locator('#address').fill('12 Main Street');
    await page.locator('#phone').fill('555-0142');
    await page.locator('#phone-note').getByText(lang === 'en' ? /cannot send text messages/ : /No podemos enviar mensajes/).waitFor();
    assert.match(await page.locator('#phone').getAttribute('aria-describedby'), /phone-note/);
    await page.locator('#email').fill('resident@example.org');
    await page.locator('#notify-sms').check();
    await assertAccessible(page, `a phone that cannot be texted (${lang})`);
    await page.locator('#submit').click();
    await page.locator('#confirmation:not([hidden])').waitFor();
    await page.locator('#confirm-updates').getByText(words.updates).waitFor();
    await assertAccessible(page, `the confirmation with how updates come (${lang})`);
    await screenshot(page, `citizen-form-phone-kept-${lang}`);
    assertNoProblems(page);
    await page.context().close();
  });
}

for (const lang of ['en', 'es']) {
  test(`an admin sets the banner from the admin page and takes it down (${lang})`, async () => {
    const page = await open(browser, { lang });
    await page.goto(url('/admin', lang));
    await signInOnPage(page, 'ada', ['admin', 'dept-DPW']);
    await page.locator('#banner-toggle').click();
    // The editor opens with the banner citizens see now.
    await page.waitForFunction((text) => document.getElementById('banner-en').value === text, BANNER.text);
    await assertAccessible(page, `the banner editor (${lang})`);
    await screenshot(page, `admin-banner-${lang}`);

    await page.locator('#banner-en').fill('Leaf pickup starts Monday.');
    await page.locator('#banner-es').fill('La recogida de hojas empieza el lunes.');
    await page.locator('#banner-form button[type=submit]').click();
    await page.waitForFunction(async () => {
      const answer = await (await fetch('/citizen/v1/banner', { cache: 'no-store' })).json();
      return answer.banner && answer.banner.text === 'Leaf pickup starts Monday.';
    });
    await page.locator('#banner-remove').click();
    await page.waitForFunction(async () => (await (await fetch('/citizen/v1/banner', { cache: 'no-store' })).json()).banner === null);
    assertNoProblems(page);
    await page.context().close();

    // Put the banner back for the next language's run.
    const set = await fetch(`${BASE_URL}/staff/v1/banner`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(BANNER),
    });
    assert.equal(set.status, 200);
  });
}

test('a clerk who is not an admin is not offered the banner', async () => {
  const page = await open(browser);
  await page.goto(url('/admin'));
  await signInOnPage(page, 'bo', ['dept-DPW']);
  await page.locator('#entry-toggle').waitFor();
  assert.equal(await page.locator('#banner-toggle').isVisible(), false);
  await page.context().close();
});
