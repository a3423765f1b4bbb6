// The staff dashboard (/admin?view=dashboard): a clerk sees their department's open backlog by
// status, age and service, what is overdue and due today, and its months; each number is a link to
// the queue with that filter kept in the address, and the queue then shows that many rows. In
// English and Spanish, on a phone and a desktop, checked with axe-core; screenshots go to
// target/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, BASE_URL, launch, open, url, screenshot, assertAccessible, assertNoProblems, fileRequest, staffToken, signInOnPage } from './helpers.mjs';

let browser;
let token;

async function act(ticket, action) {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const view = await (await fetch(`${BASE_URL}/staff/v1/tickets/${ticket}`, { headers: { authorization: `Bearer ${token}` } })).json();
    const response = await fetch(`${BASE_URL}/staff/v1/tickets/${ticket}/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...action, version: view.ticket.version }),
    });
    if (response.status === 200) return;
    assert.equal(response.status, 412, await response.text());
  }
  assert.fail(`ticket ${ticket} kept changing`);
}

before(async () => {
  browser = await launch();
  token = await staffToken('pat', ['dept-PARKS']);
  // Parks: three open, one of them scheduled within the hour and one acknowledged; public works'
  // request must count nowhere on the parks dashboard.
  const parks = [];
  for (const [service, lat] of [['PARK_MAINT', '42.3101'], ['TREE_DOWN', '42.3301'], ['PARK_MAINT', '42.3501']]) {
    parks.push(await fileRequest({ service_code: service, lat, long: '-72.4991', description: 'Bench broken' }));
  }
  await fileRequest({ service_code: 'SIGN', lat: '42.3701', long: '-72.4991' });
  await act(parks[0], { action: 'schedule', at: new Date(Date.now() + 30 * 60 * 1000).toISOString() });
  await act(parks[1], { action: 'set_status', status: 'acknowledged' });
});
after(async () => {
  await browser?.close();
});

const WORDS = {
  en: { username: 'User name', groups: 'Groups', signIn: 'Sign in', heading: /^Dashboard: Parks/, toggle: 'Dashboard' },
  es: { username: 'Nombre de usuario', groups: 'Grupos', signIn: 'Iniciar sesión', heading: /^Panel: Parks/, toggle: 'Panel' },
};

/** The number a dashboard link shows, and where it goes. */
async function number(link) {
  await link.waitFor();
  return { n: Number(await link.locator('.figure').textContent()), href: await link.getAttribute('href') };
}

/** Follows a dashboard link; the queue must show that many rows, with the filter in the address. */
async function follow(page, link, filter) {
  const { n, href } = await number(link);
  assert.ok(href.includes(filter) && href.includes('department=PARKS'), href);
  await link.click();
  await page.waitForURL((u) => u.search.includes(filter) && !u.search.includes('view=dashboard'));
  await page.waitForFunction(() => /\d/.test(document.getElementById('queue-count').textContent));
  assert.equal(await page.locator('#queue-rows tr').count(), n, `${filter}: the dashboard said ${n}`);
  assert.equal(await page.locator('#f-department').inputValue(), 'PARKS');
  assert.ok(await page.locator('#dashboard').isHidden());
  return n;
}

for (const lang of ['en', 'es']) {
  for (const [device, name] of [[PHONE, 'phone'], [DESKTOP, 'desktop']]) {
    test(`the dashboard (${lang}, ${name}): numbers link to the queue filtered to them`, async () => {
      const words = WORDS[lang];
      const page = await open(browser, { device, lang });
      await page.goto(url('/admin', lang));
      await page.getByLabel(words.username).waitFor();
      await signInOnPage(page, 'pat', ['dept-PARKS']);
      await page.getByRole('button', { name: words.toggle }).click();
      const board = page.locator('#dashboard');
      await board.getByRole('heading', { name: words.heading }).waitFor();
      assert.ok(new URL(page.url()).search.includes('view=dashboard'), 'the view is in the address');

      // The numbers are the API's.
      const api = await (await fetch(`${BASE_URL}/staff/v1/stats?department=PARKS`, { headers: { authorization: `Bearer ${token}` } })).json();
      const opened = await number(board.locator('.headline a').first());
      assert.equal(opened.n, api.open);
      assert.ok(api.open >= 3, JSON.stringify(api));
      assert.ok(!api.by_service.some((c) => c.key === 'SIGN'), 'public works counts nowhere');
      const scheduled = await number(board.locator('a[href*="status=scheduled"]'));
      assert.ok(scheduled.n >= 1);
      await board.getByRole('img').waitFor();
      await assertAccessible(page, `the dashboard (${lang}, ${name})`);
      await screenshot(page, `dashboard-${lang}-${name}`);

      // Each number opens the queue with its filter; the address keeps it (a bookmark shows the same).
      await follow(page, board.locator('a[href*="status=scheduled"]'), 'status=scheduled');
      assert.equal(await page.locator('#f-status').inputValue(), 'scheduled');
      await assertAccessible(page, `the queue of scheduled tickets (${lang}, ${name})`);
      await screenshot(page, `dashboard-queue-scheduled-${lang}-${name}`);
      const bookmarked = page.url();

      await page.getByRole('button', { name: words.toggle }).click();
      await follow(page, board.locator('a[href*="due=today"]'), 'due=today');
      assert.ok(await page.locator('#f-due-today').isChecked());
      await page.getByRole('button', { name: words.toggle }).click();
      await follow(page, board.locator('a[href*="age=0-1"]'), 'age=0-1');
      assert.equal(await page.locator('#f-age').inputValue(), '0-1');
      await page.getByRole('button', { name: words.toggle }).click();
      await follow(page, board.locator('a[href*="service_code=PARK_MAINT"]'), 'service_code=PARK_MAINT');

      // A bookmark (a new page: signed out, as the sign-in lives in the page's memory) shows the
      // same queue once signed in.
      await page.goto(bookmarked);
      await signInOnPage(page, 'pat', ['dept-PARKS']);
      await page.waitForFunction(() => /\d/.test(document.getElementById('queue-count').textContent));
      assert.equal(await page.locator('#queue-rows tr').count(), scheduled.n, 'the bookmark shows the same queue');
      assertNoProblems(page);
      await page.context().close();
    });
  }
}
