// The faster queue: pickers of departments and people from the staff directory (catalog names,
// the pool's staff), the filtered queue on a map whose pins open their ticket, j/k for the next
// and previous ticket (not while typing), and five tickets closed at once while one of them was
// changed meanwhile: four close, the page names the fifth and why. Checked with axe-core in
// English and Spanish, on a phone and a desktop, with screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DESKTOP, PHONE, launch, open, url, screenshot, assertAccessible, assertNoProblems, fileRequest, staffToken, signInOnPage } from './helpers.mjs';

let browser;
const tickets = [];

before(async () => {
  browser = await launch();
  // Five potholes a kilometre or more apart (none another's probable duplicate), near the town.
  const base = 42.2 + Math.random() * 0.05;
  for (let i = 0; i < 5; i += 1) {
    tickets.push(
      await fileRequest({
        service_code: 'POTHOLE',
        lat: (base + i * 0.012).toFixed(5),
        long: (-71.85 + Math.random() * 0.05).toFixed(5),
        'attribute[SIZE]': 'small',
        'attribute[DEPTH]': '2',
        description: `Queue test pothole ${i + 1}`,
      }),
    );
  }
  // The route function reads each new ticket once; wait until their versions hold still.
  const token = await staffToken('ad', ['admin']);
  for (const id of tickets) {
    let last = -1;
    for (let tries = 0; tries < 40; tries += 1) {
      const version = (await staffGet(token, `/staff/v1/tickets/${id}`)).ticket.version;
      if (version === last) break;
      last = version;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
});
after(async () => {
  await browser?.close();
});

async function staffGet(token, path) {
  const response = await fetch(new URL(path, BASE_URL), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, path);
  return response.json();
}

async function signIn(page, user = 'ana', groups = 'dept-DPW') {
  await signInOnPage(page, user, groups.split(/[\s,]+/).filter(Boolean));
}

async function showPotholes(page) {
  await page.locator('#f-service').selectOption('POTHOLE');
  await page.locator('#f-status').selectOption('submitted');
  await page.locator('#filters button[type=submit]').click();
  for (const id of tickets) await page.locator('#queue-rows').getByRole('link', { name: id }).waitFor();
}

const heading = (page) => page.locator('#detail-heading');

test('pickers offer the catalog and the staff directory; keys step through the queue; the map pins the tickets', async () => {
  const page = await open(browser, { device: DESKTOP });
  await page.goto(url('/admin'));
  await signIn(page);
  await showPotholes(page);

  // Departments by their catalog names, people from the directory (the pool's DPW staff and admins).
  await page.waitForFunction(() => document.querySelectorAll('#staff-people option').length > 0);
  assert.equal(await page.locator('#departments option[value="DPW"]').getAttribute('label'), 'Public Works');
  assert.equal(await page.locator('#all-departments option[value="SAN"]').getAttribute('label'), 'Sanitation');
  assert.equal(await page.locator('#f-assignee').getAttribute('list'), 'staff-people');
  assert.equal(await page.locator('#assign-to').getAttribute('list'), 'staff-assignees');
  assert.equal(await page.locator('#move-to').getAttribute('list'), 'all-departments');
  const people = await page.locator('#staff-people option').evaluateAll((options) => options.map((o) => [o.value, o.label]));
  // The pool's demo staff: its administrator and its Public Works clerk, not Sanitation's (the
  // directory keeps a group's members for a few minutes, so accounts other tests made may or may
  // not show yet).
  const where = Object.fromEntries(people);
  assert.match(where.ad, /Admins/);
  assert.match(where.bo || '', /^Public Works/, 'bo');
  assert.ok(!people.some(([name]) => name === 'sam'), 'sam works Sanitation, which ana does not read');
  const services = await page.locator('#f-service option').allTextContents();
  assert.ok(services.includes('Pothole'), services.join(', '));

  // Keys: from the second of the five, j opens the next one listed and k the one before.
  const ids = await page.locator('#queue-rows a').allTextContents();
  const second = ids.indexOf(tickets[1]);
  assert.ok(second >= 0 && second + 1 < ids.length);
  await page.locator('#queue-rows').getByRole('link', { name: tickets[1] }).click();
  await heading(page).filter({ hasText: tickets[1] }).waitFor();
  await page.keyboard.press('j');
  await heading(page).filter({ hasText: ids[second + 1] }).waitFor();
  await page.keyboard.press('k');
  await heading(page).filter({ hasText: tickets[1] }).waitFor();
  await page.keyboard.press('n');
  await heading(page).filter({ hasText: ids[second + 1] }).waitFor();
  await page.keyboard.press('p');
  await heading(page).filter({ hasText: tickets[1] }).waitFor();
  // Not while typing: a j in the note stays a letter of the note.
  await page.locator('#note-text').fill('');
  await page.locator('#note-text').press('j');
  assert.equal(await page.locator('#note-text').inputValue(), 'j');
  assert.equal(new URL(page.url()).hash, `#ticket/${tickets[1]}`);
  await page.locator('#note-text').fill('');
  // ? hides and shows the line that tells the keys.
  await page.locator('#detail').focus();
  assert.ok(await page.locator('#queue-keys').isVisible());
  await page.keyboard.press('?');
  assert.ok(await page.locator('#queue-keys').isHidden());
  await page.keyboard.press('?');
  assert.ok(await page.locator('#queue-keys').isVisible());

  // The map: a pin per ticket listed with a place; a pin's popup opens its ticket.
  await page.getByRole('button', { name: 'Map' }).click();
  assert.equal(await page.getByRole('button', { name: 'Map' }).getAttribute('aria-pressed'), 'true');
  assert.ok(await page.locator('#queue-list').isHidden());
  for (const id of tickets) await page.locator(`.leaflet-marker-icon[title="${id} · Pothole"]`).waitFor();
  // A pin for each listed ticket with a point (other tests file some by address alone).
  const listed = await page.locator('#queue-rows tr').count();
  const queue = await staffGet(await staffToken(), '/staff/v1/tickets?department=DPW&status=submitted&limit=200');
  const placed = queue.tickets.filter((t) => t.service_code === 'POTHOLE' && t.location.point).length;
  assert.ok(placed >= 5);
  assert.equal(await page.locator('#queue-map .leaflet-marker-icon').count(), placed);
  await page.locator('#queue-map-note').getByText(`${placed} of the ${listed} requests listed are on the map`).waitFor();
  await assertAccessible(page, 'the queue on a map (desktop, English)');
  await screenshot(page, 'admin-queue-map-en');
  // By keyboard: pins of other requests at the same place may lie on top of it.
  await page.locator(`.leaflet-marker-icon[title="${tickets[3]} · Pothole"]`).focus();
  await page.keyboard.press('Enter');
  await page.locator('.leaflet-popup').getByRole('link', { name: `${tickets[3]} · Pothole` }).click();
  await heading(page).filter({ hasText: tickets[3] }).waitFor();
  await page.getByRole('button', { name: 'List' }).click();
  assert.ok(await page.locator('#queue-map').isHidden());
  await page.locator('#queue-rows').getByRole('link', { name: tickets[0] }).waitFor();
  assertNoProblems(page);
  await page.context().close();
});

test("an admin assigns a ticket among who works its department (and the admins)", async () => {
  const page = await open(browser, { device: DESKTOP });
  await page.goto(url('/admin') + `#ticket/${tickets[0]}`);
  await signIn(page, 'ad', 'admin');
  await heading(page).filter({ hasText: tickets[0] }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('#staff-assignees option').length > 0);
  const values = (selector) => page.locator(selector).evaluateAll((options) => options.map((o) => o.value));
  const assignees = await values('#staff-assignees option');
  assert.ok(assignees.includes('bo') && assignees.includes('ad'), assignees.join(', '));
  assert.ok(!assignees.includes('sam'), 'sam works Sanitation, not Public Works');
  assert.ok((await values('#staff-people option')).includes('sam'), 'the assignee filter offers everyone an admin reads');
  // An admin works no one department: the queue asks them to name one (as before these tools).
  assertNoProblems(page, [/^400 .*\/staff\/v1\/tickets\?state=open&limit=200$/]);
  await page.context().close();
});

test('five tickets closed at once, one changed meanwhile: four close and the page names the fifth', async () => {
  const page = await open(browser, { device: DESKTOP });
  await page.goto(url('/admin'));
  await signIn(page);
  await showPotholes(page);

  // Select all, then just the five.
  await page.getByLabel('Select every request listed').check();
  const listed = await page.locator('#queue-rows tr').count();
  await page.locator('#bulk-count').getByText(listed === 1 ? '1 request selected' : `${listed} requests selected`).waitFor();
  await page.getByRole('button', { name: 'Clear the selection' }).click();
  assert.ok(await page.locator('#bulk').isHidden(), 'nothing selected, no bulk form');
  for (const id of tickets) await page.getByLabel(`Select ${id}`, { exact: true }).check();
  await page.locator('#bulk-count').getByText('5 requests selected').waitFor();
  assert.equal(await page.getByLabel('Select every request listed').evaluate((box) => box.indeterminate), listed > 5);

  // The bulk assignee picker lists the directory's people.
  const assignees = await page.locator('#bulk-assignee option').allTextContents();
  assert.ok(assignees.includes('bo (Public Works)'), assignees.join(' | '));

  await page.getByLabel('What to do').selectOption('set_status');
  await page.locator('#bulk-status').selectOption('closed');
  await page.locator('#bulk-resolution').selectOption('fixed');
  await page.locator('#bulk-note').fill('Filled and rolled.');
  await assertAccessible(page, 'five requests selected (desktop, English)');
  await screenshot(page, 'admin-queue-bulk-en');

  // Meanwhile another clerk adds a note to the fifth.
  const changed = tickets[4];
  const bo = await staffToken('bo', ['dept-DPW']);
  const seen = (await staffGet(bo, `/staff/v1/tickets/${changed}`)).ticket.version;
  const noted = await fetch(new URL(`/staff/v1/tickets/${changed}/actions`, BASE_URL), {
    method: 'POST',
    headers: { authorization: `Bearer ${bo}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'note', text: 'Crew is on the way', public: false, version: seen }),
  });
  assert.equal(noted.status, 200, await noted.clone().text());

  await page.getByRole('button', { name: 'Apply to the selected requests' }).click();
  const results = page.getByRole('region', { name: 'What happened' });
  await results.getByText(`4 of 5 requests were changed. Not changed: ${changed}.`).waitFor();
  const failed = results.locator('li.failed');
  assert.equal(await failed.count(), 1);
  assert.equal(
    await failed.textContent(),
    `${changed}: not changed. Someone else changed it since you loaded the queue: reload it and try again.`,
  );
  assert.equal(await results.locator('li.done').count(), 4);
  await failed.getByRole('link', { name: changed }).waitFor();

  // The server agrees: four closed with the note, the fifth open with the other clerk's note.
  for (const id of tickets) {
    const { ticket, history } = await staffGet(bo, `/staff/v1/tickets/${id}`);
    if (id === changed) {
      assert.equal(ticket.status, 'submitted');
      assert.ok(!history.some((e) => e.change.type === 'noted' && e.change.text === 'Filled and rolled.'));
    } else {
      assert.equal(ticket.status, 'closed', id);
      assert.equal(ticket.resolution, 'fixed');
      assert.ok(history.some((e) => e.change.type === 'noted' && e.change.text === 'Filled and rolled.'), id);
    }
  }
  // The queue was reloaded: the four are gone from the submitted ones, the fifth is still
  // selected to try again.
  for (const id of tickets.slice(0, 4)) await page.locator('#queue-rows').getByRole('link', { name: id }).waitFor({ state: 'detached' });
  assert.ok(await page.getByLabel(`Select ${changed}`, { exact: true }).isChecked());
  await page.locator('#bulk-count').getByText('1 request selected').waitFor();
  await assertAccessible(page, 'the bulk results (desktop, English)');
  await screenshot(page, 'admin-queue-bulk-results-en');

  // In Spanish, the results and the tools are worded again.
  await page.locator('[data-lang-switch]').click();
  await page.getByRole('region', { name: 'Qué pasó' }).getByText(`Se cambiaron 4 de 5 solicitudes. Sin cambiar: ${changed}.`).waitFor();
  await page.getByLabel(`Seleccionar ${changed}`, { exact: true }).waitFor();
  await page.locator('#bulk-count').getByText('1 solicitud seleccionada').waitFor();
  await assertAccessible(page, 'the bulk results (desktop, Spanish)');
  await screenshot(page, 'admin-queue-bulk-results-es');
  // The one refusal the page expected: the fifth's version was stale.
  assertNoProblems(page, [new RegExp(`^412 .*/staff/v1/tickets/${changed}/actions$`)]);
  await page.context().close();
});

test('on a phone, in Spanish: selecting, the bulk form and the map', async () => {
  const page = await open(browser, { device: PHONE, lang: 'es' });
  await page.goto(url('/admin', 'es'));
  await signIn(page, 'bo');
  await page.locator('#f-status').selectOption('open');
  await page.locator('#filters button[type=submit]').click();
  await page.locator('#queue-rows').getByRole('link', { name: tickets[4] }).waitFor();
  await page.getByLabel(`Seleccionar ${tickets[4]}`, { exact: true }).check();
  await page.locator('#bulk-count').getByText('1 solicitud seleccionada').waitFor();
  await page.getByLabel('Qué hacer').selectOption('schedule');
  assert.ok(await page.locator('#bulk-at').isVisible());
  assert.equal(await page.locator('label[for="bulk-at"]').textContent(), 'Fecha y hora del trabajo');
  await assertAccessible(page, 'the bulk form (phone, Spanish)');
  await screenshot(page, 'admin-queue-bulk-phone-es');
  await page.getByRole('button', { name: 'Mapa' }).click();
  await page.locator(`.leaflet-marker-icon[title="${tickets[4]} · Pothole"]`).waitFor();
  await assertAccessible(page, 'the queue on a map (phone, Spanish)');
  await screenshot(page, 'admin-queue-map-phone-es');
  assertNoProblems(page);
  await page.context().close();
});

test('on a phone, in English, the queue with its tools passes axe', async () => {
  const page = await open(browser, { device: PHONE });
  await page.goto(url('/admin'));
  await signIn(page, 'bo');
  await page.locator('#queue-rows a').first().waitFor();
  await page.locator('#queue-rows input.pick').first().check();
  await page.locator('#bulk').waitFor();
  await assertAccessible(page, 'the queue with a selection (phone, English)');
  await screenshot(page, 'admin-queue-phone-en');
  assertNoProblems(page);
  await page.context().close();
});
