// The public figures page (/stats): its charts are inline SVG images named by their captions, each
// with a data table holding the same numbers as GET /citizen/v1/stats; in English and Spanish, on
// a phone and a desktop, checked with axe-core; no one's details on it. Screenshots go to
// target/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, BASE_URL, launch, open, url, screenshot, assertAccessible, assertNoProblems, fileRequest } from './helpers.mjs';

let browser;
let figures;
const DESCRIPTION = 'Tagged wall behind the library, call Marisol';

before(async () => {
  browser = await launch();
  const stats = async () => (await fetch(new URL('/citizen/v1/stats', BASE_URL))).json();
  const before = (await stats()).months[11].opened;
  await fileRequest({
    service_code: 'DUMPING',
    lat: '42.2003',
    long: '-72.4991',
    description: DESCRIPTION,
    email: 'marisol@example.org',
  });
  // The figures are counted as the request goes by the route function.
  for (let i = 0; i < 100; i += 1) {
    figures = await stats();
    if (figures.months[11].opened > before) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(figures.months[11].opened > before, 'the request was counted');
});
after(async () => {
  await browser?.close();
});

const WORDS = {
  en: {
    heading: 'How the town is doing',
    requests: 'Requests and closings each month',
    table: 'The numbers as a table',
    opened: 'Requests',
    nav: 'Figures',
    departments: 'Requests and closings by department, last twelve months',
    fixed: 'Reporters who say it was fixed (12 months)',
  },
  es: {
    heading: 'Cómo va el municipio',
    requests: 'Solicitudes y cierres de cada mes',
    table: 'Los números en una tabla',
    opened: 'Solicitudes',
    nav: 'Cifras',
    departments: 'Solicitudes y cierres por departamento, últimos doce meses',
    fixed: 'Quienes reportaron y dicen que se arregló (12 meses)',
  },
};

for (const lang of ['en', 'es']) {
  for (const [device, name] of [[PHONE, 'phone'], [DESKTOP, 'desktop']]) {
    test(`the figures page (${lang}, ${name}): charts with their tables, accessible`, async () => {
      const words = WORDS[lang];
      const page = await open(browser, { device, lang });
      // Reached from the citizen pages.
      await page.goto(url('/status', lang));
      await page.getByRole('navigation').getByRole('link', { name: words.nav }).click();
      await page.getByRole('heading', { level: 1, name: words.heading }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal(new URL(page.url()).pathname, '/stats');

      // Four charts, each an image named by its caption, drawn without inline styles.
      const chart = page.getByRole('img', { name: words.requests });
      await chart.waitFor();
      assert.equal(await page.locator('figure svg[role="img"]').count(), 4);
      assert.equal(await page.locator('[style]').count(), 0, 'no inline style anywhere');
      const bars = await page.locator('figure').first().locator('rect').count();
      assert.ok(bars >= 1, 'this month has a bar');
      await page.getByRole('img', { name: words.departments }).waitFor();

      // Behind each chart, its numbers: twelve months, this month's the API's.
      const figure = page.locator('figure').filter({ has: chart });
      await figure.getByText(words.table).click();
      const table = figure.getByRole('table', { name: words.requests });
      await table.waitFor();
      const rows = table.locator('tbody tr');
      assert.equal(await rows.count(), 12);
      const last = await rows.nth(11).locator('td').allTextContents();
      assert.deepEqual(last.map((v) => Number(v.replace(/\D/g, ''))), [figures.months[11].opened, figures.months[11].closed]);
      const headline = page.locator('#stats-headline li').first();
      assert.equal(Number((await headline.locator('.figure').textContent()).replace(/\D/g, '')), figures.months[11].opened);
      assert.match(await headline.textContent(), new RegExp(words.opened));
      // The share of reporters who say it was fixed, over the twelve months, as the API says.
      const fixed = page.locator('#stats-headline li').filter({ hasText: words.fixed });
      const share = figures.period.percent_confirmed_fixed;
      assert.equal((await fixed.locator('.figure').textContent()).trim(), share === null ? '—' : `${share} %`);
      // The department and service tables name what they count, and nothing a person typed.
      await page.getByRole('table', { name: lang === 'en' ? 'By service' : 'Por servicio' }).getByText('Illegal dumping').or(
        page.getByRole('table', { name: lang === 'en' ? 'By service' : 'Por servicio' }).getByText('DUMPING')
      ).first().waitFor();
      const text = await page.locator('body').textContent();
      assert.ok(!text.includes('Marisol') && !text.includes('marisol@'), 'no personal data on the page');

      await assertAccessible(page, `the figures page (${lang}, ${name})`);
      await screenshot(page, `stats-${lang}-${name}`);
      assertNoProblems(page);
      await page.context().close();
    });
  }
}
