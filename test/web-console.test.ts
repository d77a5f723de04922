// The web console at /console, driven in Debian's chromium through playwright-core: sign-in, the catalog browser and
// table page, partitions and their filter, a grant and what the grantee may do, a discovery job, Activity, and a
// database of 100,000 tables. Every page is checked for browser console errors. On SQLite every page visited is also
// checked with axe-core; with LAKEFORM_SCREENSHOTS=1 (how the README's are made) the main pages are saved into docs/
// as console-*.png. Otherwise nothing is saved: a screenshot nobody looks at checks nothing, and each took a frame
// read back from chromium (about 0.15 s of CPU, near a second of wall on two busy cores). The PostgreSQL run is the
// part of the scenario whose pages show what that store keeps (see `full` below), without axe-core and screenshots:
// the pages' markup does not depend on the store. One chromium serves the file; the servers run in the test's
// process (`lakeform serve` printing the console's URL is checked in cli.test, which runs that command). The scenario
// moves through the console as a user does, by its links: a page.goto loads and starts the whole app again (about
// 0.7 s of CPU) and drops axe-core from the page.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { backends, ROOT, startServer, type TestServer } from './helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.LAKEFORM_TEST_REQUIRE_CHROMIUM === '1';
const missing = fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent (apt-get install chromium)`;
if (missing && required) throw new Error(`chromium is required (LAKEFORM_TEST_REQUIRE_CHROMIUM=1) but ${missing}`);
if (missing) console.log(`# skipping the web console tests: ${missing}`);
if (!fs.existsSync(path.join(ROOT, 'dist/console/index.html')))
  throw new Error('the console is not built: npm run build');

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DOCS = process.env.LAKEFORM_SCREENSHOTS === '1' ? path.join(ROOT, 'docs') : undefined;
const READER_PASSWORD = 'Reader-pass-123';

/** A fresh chromium profile, headless, with nothing reaching out. */
async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    // A user who asks for reduced motion: dialogs and menus then open and close without their transitions (the
    // console's theme respects the setting), and each click waits no frames for them.
    reducedMotion: 'reduce',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(30_000); // generous: the suite shares two cores with the other tests
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors and uncaught exceptions of a page; a refused API call the test provokes is expected. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium reports every 4xx fetch as a console error; the app shows those to the user instead.
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
    errors.push(m.text());
  });
  return errors;
}

async function axe(page: Page, where: string): Promise<void> {
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.addScriptTag({ content: AXE });
  // Evaluated in the page (a string: the tests compile without the DOM library). Only violations are asked for:
  // axe then details every node of each violation but only one of the passes and the rest, half of its time.
  const violations = await page.evaluate<string[]>(`axe.run({ resultTypes: ['violations'] }).then((r) => r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`);
  assert.deepEqual(violations, [], `axe on ${where}`);
}

/** The page fits the window: no horizontal scrolling. */
async function fits(page: Page, where: string): Promise<void> {
  const { scroll, width } = await page.evaluate<{ scroll: number; width: number }>(
    '({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })',
  );
  assert.ok(scroll <= width, `${where} overflows: ${scroll} > ${width}`);
}

async function shot(page: Page, name: string): Promise<void> {
  if (DOCS) await page.screenshot({ path: path.join(DOCS, `console-${name}.png`) });
}

/**
 * Signs in on the sign-in page the console shows (after a sign-out, an expiry or a refused attempt): the console's
 * own way there, without loading the app again.
 */
async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in to lakeform' }).waitFor();
  // By keyboard: the user name has the focus, Tab moves on, Enter submits; select-all replaces an earlier attempt.
  await page.getByLabel('User name').focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(user);
  await page.keyboard.press('Tab');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByTestId('whoami').filter({ hasText: user }).waitFor();
}

/**
 * Follows a link of the console's navigation: a client-side route change, as a user moves around, where a page.goto
 * would load and start the whole app again (and drop axe-core, injected into the page).
 */
async function navigate(page: Page, section: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: section, exact: true }).click();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to lakeform' }).waitFor();
}

async function pick(
  page: Page,
  label: string,
  option: string,
  scope: Page | ReturnType<Page['locator']> = page,
): Promise<void> {
  await scope.getByRole('combobox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** Waits until the locator matches exactly n elements (a list being replaced by the next answer). */
async function rowCount(rows: ReturnType<Page['locator']>, n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let count = -1;
  while (Date.now() < deadline) {
    count = await rows.count();
    if (count === n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`expected ${n} rows, saw ${count}`);
}

const dialog = (page: Page) => page.getByRole('dialog');

/**
 * Opens a dialog with its button once the dialog before it has left the page: a dialog that closes stays in the page
 * while it leaves, and the next one would then be the second match of `dialog(page)` (a flaky strict-mode failure).
 */
async function openDialog(page: Page, button: string): Promise<void> {
  await page.waitForFunction(`document.querySelectorAll('[role="dialog"]').length === 0`);
  await page.getByRole('button', { name: button }).click();
}

/** The file's one chromium, launched by the first scenario; each scenario has a page (and an origin) of its own. */
let chromiumOnce: ReturnType<typeof launch> | undefined;
after(async () => {
  await (await chromiumOnce)?.close();
});

for (const backend of missing ? [] : await backends()) {
  // The main scenario runs on every backend; the 100,000-table browse on SQLite, seeded straight into its file.
  describe(`web console (${backend.name})`, { concurrency: false }, () => {
    let server: TestServer;
    let page: Page;
    let errors: string[];
    let admin: { token: string; projectId: string };
    let instanceId = '';
    // SQLite runs the whole scenario. PostgreSQL runs the steps whose pages show what was written to and read back
    // from the store: the instance and its status, the table's columns and DDL, partitions and filters compiled to
    // its SQL, grants and their explanation (patterns as LIKE), metadata events and the audit trail. Refusals decided
    // before the store (a wrong password, an invalid name, a filter that does not parse), the grantee's own session
    // and an ended session are the same code over either store: the SQLite run shows them in the console, and the
    // API suites check them on PostgreSQL (iam, authorization-matrix, partitions). axe-core and screenshots on one
    // store too: the markup is the same on the other.
    const full = backend.name === 'sqlite';
    const a11y = full ? axe : async () => undefined;
    const screenshot = full ? shot : async () => undefined;

    before(async () => {
      chromiumOnce ??= launch();
      const [started, browser] = await Promise.all([startServer(backend, { inProcess: true }), chromiumOnce]);
      server = started;
      admin = await server.login();
      const r = await server.request('POST', '/v3/users', {
        token: admin.token,
        body: { user: { name: 'reader', password: READER_PASSWORD } },
      });
      assert.equal(r.status, 201, r.text);
      page = await browser.context.newPage();
      errors = watchErrors(page);
    });
    after(async () => {
      await page?.close();
      await server?.stop();
    });

    test('client routes load the app; a missing asset is 404', async () => {
      const deep = await server.request('GET', '/console/i/default/catalogs/x/y');
      assert.equal(deep.status, 200);
      assert.match(deep.text, /<div id="root">/);
      assert.equal((await server.request('GET', '/console/assets/missing.js')).status, 404);
    });

    test('sign in, with a wrong password refused as the API says', async () => {
      await page.goto(`${server.url}/console/i/default/catalogs`);
      await page.getByRole('heading', { name: 'Sign in to lakeform' }).waitFor();
      await a11y(page, 'sign-in');
      await screenshot(page, 'signin');
      if (full) {
        await page.getByLabel('User name').fill('admin');
        await page.getByRole('textbox', { name: 'Password' }).fill('wrong-password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page
          .getByRole('alert')
          .filter({ hasText: /password|credential|authenticat/i })
          .waitFor();
      }
      await signIn(page, 'admin', server.adminPassword);
      // Back to the page asked for before signing in.
      await page.getByRole('heading', { name: 'Catalogs', exact: true }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/console/i/default/catalogs');
      assert.equal(await page.evaluate<boolean>('sessionStorage.length > 0'), true);
    });

    test('create an instance', async () => {
      await navigate(page, 'Instances');
      await openDialog(page, 'Create instance');
      await dialog(page).getByLabel('Instance name').fill('console_main');
      await dialog(page).getByRole('button', { name: 'Create' }).click();
      await page.getByRole('heading', { name: 'Instance console_main' }).waitFor();
      instanceId = new URL(page.url()).pathname.split('/').pop() as string;
      await page.getByRole('table', { name: 'Instance', exact: true }).getByText('RUNNING').waitFor();
      await a11y(page, 'instances');
      await fits(page, 'instances');
      await screenshot(page, 'instances');
    });

    test('create a catalog, a database and a partitioned table; an invalid name shows the API error', async () => {
      // From the instance's page: the navigation's links lead into that instance.
      await navigate(page, 'Catalogs');
      assert.equal(new URL(page.url()).pathname, `/console/i/${instanceId}/catalogs`);
      await page.getByRole('link', { name: 'hive' }).first().waitFor();
      await openDialog(page, 'Create catalog');
      if (full) {
        await dialog(page).getByLabel('Catalog name').fill('bad name!');
        await dialog(page).getByRole('button', { name: 'Save' }).click();
        await dialog(page)
          .getByRole('alert')
          .filter({ hasText: /catalog_name/ })
          .waitFor();
      }
      await dialog(page).getByLabel('Catalog name').fill('sales');
      await dialog(page).getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { name: 'Catalog sales' }).waitFor();
      await openDialog(page, 'Create database');
      await dialog(page).getByLabel('Database name').fill('shop');
      await dialog(page).getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { name: 'Database sales.shop' }).waitFor();
      await openDialog(page, 'Create table');
      await dialog(page).getByLabel('Table name').fill('orders');
      await dialog(page).getByLabel('Columns').fill('id bigint order id\namount double\ncustomer string');
      await dialog(page).getByLabel('Partition keys').fill('dt date\nregion string');
      await dialog(page).getByLabel('Comment').fill('orders by day and region');
      await dialog(page).getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { name: 'Table orders' }).waitFor();
      const columns = page.getByRole('table', { name: 'Columns' });
      await columns.getByRole('row', { name: /dt.*partition key/ }).waitFor();
      assert.equal(await columns.getByText('partition key').count(), 2);
      await a11y(page, 'table page');
      await page.getByRole('tab', { name: 'DDL' }).click();
      const ddl = await page.getByLabel('Hive DDL').textContent();
      assert.match(ddl ?? '', /CREATE TABLE `shop`\.`orders` \(\n {2}`id` bigint COMMENT 'order id'/);
      assert.match(ddl ?? '', /PARTITIONED BY \(\n {2}`dt` date,\n {2}`region` string\)/);
      await page.getByLabel('Location').getByRole('link', { name: 'shop', exact: true }).click();
      await page.getByRole('table', { name: 'Tables' }).getByRole('link', { name: 'orders' }).waitFor();
      await a11y(page, 'catalog browser');
      await fits(page, 'catalog browser');
      await screenshot(page, 'catalogs');
    });

    test('add partitions and filter them; a bad filter shows the error with its position', async () => {
      await page.getByRole('table', { name: 'Tables' }).getByRole('link', { name: 'orders' }).click();
      await page.getByRole('tab', { name: 'Partitions' }).click();
      await openDialog(page, 'Add partitions');
      await dialog(page)
        .getByLabel('Partition values')
        .fill('2024-01-01, eu\n2024-01-02, eu\n2024-01-02, us\n2024-01-03, us');
      await dialog(page).getByRole('button', { name: 'Add' }).click();
      const rows = page.getByRole('table', { name: 'Partitions' }).locator('tbody tr');
      await rowCount(rows, 4);
      const filter = page.getByRole('textbox', { name: 'Filter' });
      await filter.fill("dt = '2024-01-02' AND region = 'us'");
      await page.getByRole('button', { name: 'Apply filter' }).click();
      await rowCount(rows, 1);
      assert.match((await rows.first().textContent()) ?? '', /2024-01-02\s*us/);
      await filter.fill("dt >= '2024-01-02'");
      await page.getByRole('button', { name: 'Apply filter' }).click();
      await rowCount(rows, 3);
      await screenshot(page, 'table');
      if (!full) return;
      await filter.fill('region == us');
      await page.getByRole('button', { name: 'Apply filter' }).click();
      await page.getByText(/invalid partition filter at position \d+/).waitFor();
      await a11y(page, 'partitions with a bad filter');
    });

    // On SQLite only, like the two below: kept versions, jobs and alarms over PostgreSQL are the API suites' (tables,
    // jobs, alarms); the console's part of them does not depend on the store.
    if (full) {
      const history = 'the table page shows schema history from the kept versions: each change in words, newest first';
      test(history, async () => {
        const url = `/v1/${admin.projectId}/instances/${instanceId}/catalogs/sales/databases/shop/tables/orders`;
        const current = (await server.request('GET', url, { token: admin.token })).json;
        const sd = current.storage_descriptor;
        const put = await server.request('PUT', url, {
          token: admin.token,
          body: {
            table: {
              storage_descriptor: { ...sd, columns: [...sd.columns, { column_name: 'note', column_type: 'string' }] },
            },
          },
        });
        assert.equal(put.status, 200, put.text);
        // Still on the table's page: the tab asks for the versions when it opens (its panel is not kept mounted).
        await page.getByRole('heading', { name: 'Table orders' }).waitFor();
        await page.getByRole('tab', { name: 'Schema history' }).click();
        const rows = page.getByRole('table', { name: 'Schema history' }).locator('tbody tr');
        await rowCount(rows, 2);
        assert.match(
          (await rows.nth(0).textContent()) ?? '',
          /current.*added note string.*customer string, note string/,
        );
        assert.match((await rows.nth(1).textContent()) ?? '', /first kept version/);
        assert.doesNotMatch((await rows.nth(1).textContent()) ?? '', /note/);
        await a11y(page, 'schema history');
      });
    }

    test("grant a second user SELECT; Why can / can't tells what the grant allows", async () => {
      await navigate(page, 'Access');
      await openDialog(page, 'Grant');
      const d = dialog(page);
      await d.getByLabel('Principal name').fill('reader');
      await pick(page, 'Catalog', 'sales', d);
      await pick(page, 'Database', 'shop', d);
      await pick(page, 'Table', 'orders', d);
      await d.getByRole('button', { name: 'Grant' }).click();
      await d.waitFor({ state: 'hidden' });
      await page.getByRole('table', { name: 'Grants' }).getByText('reader').waitFor();
      await a11y(page, 'access');
      await page.getByRole('tab', { name: "Why can / can't" }).click();
      await page.getByLabel('Principal name').fill('reader');
      await pick(page, 'Catalog', 'sales');
      await pick(page, 'Database', 'shop');
      await pick(page, 'Table', 'orders');
      await pick(page, 'Action', 'DROP');
      await page.getByRole('button', { name: 'Check' }).click();
      await page.getByRole('status').filter({ hasText: 'reader cannot DROP' }).waitFor();
      await pick(page, 'Action', 'SELECT');
      await page.getByRole('button', { name: 'Check' }).click();
      await page.getByRole('status').filter({ hasText: 'reader can SELECT' }).waitFor();
      await page.getByText('SELECT on TABLE sales.shop.orders (to user reader)').waitFor();
      await a11y(page, 'why can');
      await screenshot(page, 'access');
    });

    // The drop the grantee is refused, made through the API: the audit trail Activity shows next.
    const readerDrop = async () => {
      const reader = await server.login('reader', READER_PASSWORD);
      return server.request(
        'DELETE',
        `/v1/${reader.projectId}/instances/${instanceId}/catalogs/sales/databases/shop/tables/orders`,
        { token: reader.token },
      );
    };

    if (full) {
      test('the grantee sees the table and is refused the drop with the API message', async () => {
        await signOut(page);
        await signIn(page, 'reader', READER_PASSWORD);
        // A link into the table, as one is shared: the app loads anew, with the reader's session.
        await page.goto(`${server.url}/console/i/${instanceId}/catalogs/sales/shop`);
        await page.getByRole('table', { name: 'Tables' }).getByRole('link', { name: 'orders' }).click();
        await page.getByRole('heading', { name: 'Table orders' }).waitFor();
        await openDialog(page, 'Drop table');
        await dialog(page).getByRole('button', { name: 'Drop' }).click();
        const refusal = await dialog(page).getByRole('alert').textContent();
        const api = await readerDrop();
        assert.equal(api.status, 403);
        assert.ok(refusal?.includes(api.json.error_msg), `${refusal} shows ${api.json.error_msg}`);
        await dialog(page).getByRole('button', { name: 'Cancel' }).click();
      });

      test('an expired session returns to sign-in with a message', async () => {
        // The reader's session, still open from the test before, ends; then the administrator signs in again.
        await page.getByTestId('whoami').filter({ hasText: 'reader' }).waitFor();
        const token = await page.evaluate<string>(
          "JSON.parse(sessionStorage.getItem('lakeform.console.session')).token",
        );
        const revoked = await server.request('DELETE', '/v3/auth/tokens', {
          token,
          headers: { 'X-Subject-Token': token },
        });
        assert.equal(revoked.status, 204, revoked.text);
        // The next call with it (the alarms page's query) ends the session.
        await navigate(page, 'Alarms');
        await page.getByRole('status').filter({ hasText: 'Your session has expired' }).waitFor();
        await signIn(page, 'admin', server.adminPassword);
        // Back where the session ended.
        await page.getByRole('heading', { name: 'Alarms' }).first().waitFor();
        assert.equal(new URL(page.url()).pathname, `/console/i/${instanceId}/alarms`);
      });
    } else {
      test('the grantee is refused the drop', async () => {
        assert.equal((await readerDrop()).status, 403);
      });
    }

    if (full) {
      test('a discovery job runs to success while its progress shows; its log reads', async () => {
        const raw = path.join(server.dataDir, 'warehouse', 'lakeform', 'instances', instanceId, 'raw');
        for (let t = 0; t < 6; t++) {
          for (const day of ['2024-01-01', '2024-01-02']) {
            const dir = path.join(raw, `clicks${t}`, `dt=${day}`);
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, 'part-0.csv'), 'user,page,ms\nann,/home,12\nbob,/cart,40\n');
          }
        }
        await navigate(page, 'Jobs');
        await openDialog(page, 'Create job');
        const d = dialog(page);
        await d.getByLabel('Job name').fill('discover_raw');
        await d.getByLabel('Data location').fill(`obs://lakeform/instances/${instanceId}/raw`);
        await d.getByLabel('Target catalog').fill('sales');
        await d.getByLabel('Target database').fill('raw');
        await d.getByRole('button', { name: 'Create' }).click();
        await page.getByRole('table', { name: 'Jobs' }).getByRole('link', { name: 'discover_raw' }).click();
        await page.getByRole('heading', { name: 'Job discover_raw' }).waitFor();
        await page.getByRole('button', { name: 'Start' }).click();
        await page.getByRole('progressbar').first().waitFor();
        await page.getByTestId('job-status').filter({ hasText: 'SUCCESS' }).waitFor();
        await page.getByText(/6 created/).waitFor();
        await page.getByRole('table', { name: 'Runs' }).getByText('SUCCESS').waitFor();
        await page.getByLabel('Run log').filter({ hasText: 'table clicks0: created' }).waitFor();
        await a11y(page, 'job');
        await screenshot(page, 'jobs');
      });
    }

    test('Activity shows the events of all this, and the audit trail the refused drop', async () => {
      await navigate(page, 'Activity');
      const events = page.getByRole('table', { name: 'Metadata events' });
      for (const action of ['CREATE_CATALOG', 'CREATE_DATABASE', 'CREATE_TABLE', 'CREATE_PARTITION']) {
        await events.getByText(action, { exact: true }).first().waitFor();
      }
      await events.getByText('sales.shop.orders').first().waitFor();
      await a11y(page, 'activity');
      await screenshot(page, 'activity');
      await page.getByRole('tab', { name: 'Audit events' }).click();
      await pick(page, 'Result', 'denied');
      await page.getByRole('table', { name: 'Audit events' }).getByText('reader').first().waitFor();
    });

    if (full) {
      test('alarms and storage pages', async () => {
        await navigate(page, 'Alarms');
        await page.getByRole('tab', { name: 'Rules' }).click();
        await openDialog(page, 'Create rule');
        await dialog(page).getByLabel('Rule name').fill('busy');
        await dialog(page).getByRole('button', { name: 'Save' }).click();
        await page.getByRole('table', { name: 'Alarm rules' }).getByText('busy').waitFor();
        await a11y(page, 'alarms');
        await navigate(page, 'Storage');
        await pick(page, 'Bucket', 'lakeform');
        await page
          .getByRole('table', { name: 'Objects' })
          .getByText(/raw\/clicks0/)
          .first()
          .waitFor();
        await a11y(page, 'storage');
        await page.setViewportSize({ width: 1920, height: 1080 });
        await page.goto(`${server.url}/console/i/${instanceId}/catalogs/sales/shop/tables/orders`);
        await page.getByRole('heading', { name: 'Table orders' }).waitFor();
        await fits(page, 'table page at 1920×1080');
        await page.setViewportSize({ width: 1280, height: 800 });
      });
    }

    if (backend.name === 'sqlite') {
      test('a database of 100,000 tables: the first page arrives without the rest loading', async () => {
        const base = `/v1/${admin.projectId}/instances/${instanceId}/catalogs/sales/databases`;
        assert.equal(
          (await server.request('POST', base, { token: admin.token, body: { database_name: 'big' } })).status,
          201,
        );
        const one = await server.request('POST', `${base}/big/tables`, {
          token: admin.token,
          body: {
            table_name: 't000000',
            table_type: 'EXTERNAL_TABLE',
            owner_type: 'USER',
            storage_descriptor: { columns: [{ column_name: 'id', column_type: 'bigint' }] },
          },
        });
        assert.equal(one.status, 201, one.text);
        // Copies of that row under new names and ids, in one statement on the server's database file.
        const db = new SqliteDatabase(server.databaseUrl.replace(/^sqlite:/, ''));
        db.pragma('busy_timeout = 10000');
        const cols = (db.pragma('table_info(tables)') as { name: string }[]).map((c) => c.name);
        const pick = cols
          .map((c) => (c === 'id' ? 'lower(hex(randomblob(16)))' : c === 'name' ? "printf('t%06d', n)" : c))
          .join(', ');
        db.prepare(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 99999)
          INSERT INTO tables (${cols.join(', ')}) SELECT ${pick} FROM seq, tables
          WHERE tables.database_name = 'big' AND tables.name = 't000000'`).run();
        assert.equal(
          (db.prepare("SELECT count(*) AS n FROM tables WHERE database_name = 'big'").get() as { n: number }).n,
          100_000,
        );
        db.close();

        const calls: string[] = [];
        const sizes: number[] = [];
        const onResponse = async (r: import('playwright-core').Response) => {
          if (!/\/databases\/big\/tables(\?|$)/.test(r.url())) return;
          calls.push(r.url());
          sizes.push((await r.body()).length);
        };
        page.on('response', onResponse);
        const started = Date.now();
        await page.goto(`${server.url}/console/i/${instanceId}/catalogs/sales/big`);
        const table = page.getByRole('table', { name: 'Tables' });
        await table.getByRole('link', { name: 't000000' }).waitFor();
        const shownIn = Date.now() - started;
        assert.equal(await table.locator('tbody tr').count(), 50);
        await page.getByRole('button', { name: 'Next page' }).first().click();
        await table.getByRole('link', { name: 't000050' }).waitFor();
        await table.getByRole('link', { name: 't000099' }).waitFor();
        page.off('response', onResponse);
        assert.equal(calls.length, 2, calls.join('\n'));
        for (const url of calls) assert.equal(new URL(url).searchParams.get('limit'), '50');
        assert.ok(Math.max(...sizes) < 64 * 1024, `a page is ${Math.max(...sizes)} bytes`);
        console.log(`# first page of 100,000 tables shown in ${shownIn} ms`);
        await a11y(page, '100,000 tables');
      });
    }

    test('no console errors on any page', () => {
      assert.deepEqual(errors, []);
    });
  });
}
