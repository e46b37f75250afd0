import { NhsNumber } from '@sp/domain';
import { waitFor } from '@sp/testing';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { PlatformHarness, ROOT } from './support/platform-harness';

/**
 * The console in a real browser against the whole platform (`npm start` on its own stack): a link
 * worker takes a referral from consent to an offer, the VCSO coordinator accepts it on a phone-sized
 * screen and sees the person's contact details, and when a coordinator pauses a service the ICS view
 * shows it paused within seconds, live, without a reload. Every page is served under a
 * `default-src 'self'` Content-Security-Policy, and a screenshot of each screen visited is saved to
 * e2e/artifacts/screenshots/.
 */
const SHOTS = path.join(ROOT, 'e2e', 'artifacts', 'screenshots');
const PCN = 'U03001';
const PRACTICE = 'P03001';
const ICS = 'QCT';
const PHONE = { width: 375, height: 740 };

interface Created {
  id: string;
  name?: string;
}

describe('the console in a browser', () => {
  const platform = new PlatformHarness({
    offset: 300,
    pgPort: 25493,
    kafkaPort: 19494,
    // The console polls and streams; per-token rate limits are the hostile-input tests' business.
    env: { RATE_LIMIT_PER_MINUTE: '0' },
  });
  let browser: Browser;
  let organisationId: string;
  let walkingGroup: Created;
  let gardenClub: Created;
  let referralId: string;
  let offerId: string;
  const person = { givenName: 'Marigold', familyName: 'Featherstonehaugh' };
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  async function api<T = Record<string, unknown>>(
    method: string,
    p: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await platform.api<T>(method, p, { token, body });
    return { status: res.status, body: res.body };
  }

  async function importPostcodes(): Promise<void> {
    const dir = mkdtempSync(path.join(tmpdir(), 'sp-console-'));
    const file = path.join(dir, 'districts.csv');
    writeFileSync(
      file,
      'outcode,latitude,longitude\nLS6,53.8196,-1.5789\nLS7,53.8285,-1.5336\nLS1,53.7965,-1.5478\n',
    );
    await promisify(execFile)('node', ['-r', '@swc-node/register', 'scripts/import.ts', 'postcodes', file], {
      cwd: ROOT,
      env: platform.env,
    });
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await platform.start();
    console.log(`console spec: platform ready in ${(platform.startedInMs / 1000).toFixed(1)} s`);
    await importPostcodes();
    const admin = await platform.token({ sub: 'console-e2e-admin', role: 'admin' });
    const ops = await platform.token({ sub: 'console-e2e-ops', role: 'pcn_ops', pcn: PCN });
    const lw = await platform.token({ sub: 'console-e2e-lw', role: 'link_worker', pcn: PCN });
    const pcn = await api('POST', '/pcns', admin, {
      code: PCN,
      name: 'Chapel Allerton PCN',
      icsCode: ICS,
      practices: [{ code: PRACTICE, name: 'Allerton Medical Practice', postcode: 'LS7 4SA' }],
    });
    expect(pcn.status).toBe(201);
    const org = await api<Created>('POST', '/organisations', ops, {
      name: 'Leeds Befrienders',
      icsCode: ICS,
      contactEmail: 'team@befrienders.example',
    });
    expect(org.status).toBe(201);
    organisationId = org.body.id;
    const service = async (name: string, needs: string[], postcode: string) => {
      const res = await api<Created>('POST', '/services', ops, {
        organisationId,
        name,
        needs,
        postcode,
        radiusKm: 10,
        mode: 'in-person',
        maxActive: 6,
        weeklyIntake: 4,
      });
      expect(res.status).toBe(201);
      return { id: res.body.id, name };
    };
    walkingGroup = await service('Meanwood walking group', ['loneliness', 'physical-activity'], 'LS6');
    gardenClub = await service('Potternewton garden club', ['loneliness', 'nature'], 'LS7');
    const referral = await api<Created>('POST', '/referrals', lw, {
      pcnCode: PCN,
      practiceCode: PRACTICE,
      referrer: { name: 'Dr Example', role: 'GP' },
      patient: {
        nhsNumber: NhsNumber.generateTestNumber().value,
        ...person,
        birthDate: '1948-06-02',
        postcode: 'LS6 2QX',
        phone: '07700 900555',
        preferredLanguage: 'en',
      },
      needs: ['loneliness', 'physical-activity'],
    });
    expect(referral.status).toBe(201);
    referralId = referral.body.id;
    // The coordinator's organisation must be known to the sign-in page, the services to the ICS figures.
    await waitFor(
      async () => {
        const load = await api<{ items: { serviceId: string }[] }>('GET', '/metrics/vcso-load', admin);
        return (
          load.body.items.filter((i) => [walkingGroup.id, gardenClub.id].includes(i.serviceId)).length === 2
        );
      },
      { timeoutMs: 60_000, message: 'both services in the ICS load figures' },
    );
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    await platform.stop();
  });

  /** A browser context whose documents carry the strict CSP the console is written for. */
  async function newContext(opts: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ baseURL: platform.gatewayUrl, ...opts });
    await context.route(
      (url) => url.pathname === '/' || url.pathname.endsWith('.html'),
      async (route) => {
        // The gateway sends its own (stricter) policy; this only stands in should it ever be missing.
        const response = await route.fetch();
        const headers = response.headers();
        headers['content-security-policy'] ??= "default-src 'self'";
        await route.fulfill({ response, headers });
      },
    );
    // Runs in the page (as a string: this file is compiled without the DOM library).
    await context.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (e) =>
        console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
    });
    context.on('page', (page) => watch(page));
    return context;
  }

  function watch(page: Page): void {
    page.on('console', (msg) => {
      const text = msg.text();
      // nhsuk-frontend's CSS asks for the NHS's Frutiger fonts from assets.nhs.uk; under default-src
      // 'self' the browser refuses them and falls back to Arial. Anything else is the console's fault.
      if (text.startsWith('CSP violation') && !text.includes('assets.nhs.uk')) cspViolations.push(text);
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  async function signIn(page: Page, role: string, scope: Record<string, string>): Promise<void> {
    await page.goto('/#/sign-in');
    await page.locator(`input[name="role"][value="${role}"]`).check();
    for (const [name, value] of Object.entries(scope)) {
      await page.locator(`select[name="${name}"]`).selectOption(value);
    }
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator(`#signed-in-as[data-role="${role}"]`).waitFor();
  }

  async function noSideways(page: Page): Promise<number> {
    return page.evaluate<number>('document.documentElement.scrollWidth');
  }

  it('shows the sign-in page with the live network to choose from', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto('/');
    await page.waitForURL(/#\/sign-in$/);
    await page.locator('input[name="role"][value="vcso_coordinator"]').check();
    await expect(
      page.locator(`select[name="org"] option[value="${organisationId}"]`).textContent(),
    ).resolves.toBe('Leeds Befrienders');
    await page.locator('input[name="role"][value="link_worker"]').check();
    await expect(page.locator(`select[name="pcn"] option[value="${PCN}"]`).count()).resolves.toBe(1);
    await shot(page, '01-sign-in');
    // The nhsuk stylesheet and script are served by the gateway.
    const css = await page.request.get('/assets/nhsuk/nhsuk-frontend.min.css');
    expect(css.status()).toBe(200);
    expect((await page.request.get('/assets/chart.js/chart.umd.min.js')).status()).toBe(200);
    await context.close();
  });

  it('(b) lets a link worker take a referral from consent to an offer', async () => {
    const context = await newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, 'link_worker', { pcn: PCN });
    await page.waitForURL(/#\/pipeline/);
    await expect(
      page.locator('#pipeline-counts [data-status="awaiting-consent"] .sp-tile__count').textContent(),
    ).resolves.toBe('1');
    await shot(page, '02-link-worker-pipeline');

    await page.locator(`a[data-referral-id="${referralId}"]`).click();
    await page.locator('#consent-form').waitFor();
    await expect(page.locator('#referral-heading').textContent()).resolves.toBe(
      `${person.givenName} ${person.familyName}`,
    );
    await shot(page, '03-referral-consent');
    await page.getByRole('button', { name: 'Record consent' }).click();

    // The status follows the consent event; the page waits for it and offers the assessment.
    await page.locator('#assessment-form').waitFor({ timeout: 30_000 });
    await expect(page.locator('#referral-status').getAttribute('data-status')).resolves.toBe(
      'awaiting-assessment',
    );
    await shot(page, '04-referral-assessment');
    await page.getByRole('button', { name: 'Save assessment' }).click();

    const candidate = page.locator(`#candidates tr[data-service-id="${walkingGroup.id}"]`);
    await candidate.waitFor({ timeout: 30_000 });
    await expect(candidate.textContent()).resolves.toContain('Distance:');
    await expect(candidate.textContent()).resolves.toContain(walkingGroup.name);
    await shot(page, '05-referral-candidates');
    await candidate.getByRole('button', { name: /Offer a place/ }).click();

    await page.locator('#referral-status[data-status="offered"]').waitFor({ timeout: 30_000 });
    await expect(page.locator('#offer-service').textContent()).resolves.toBe(walkingGroup.name);
    await expect(page.locator('#timeline li[data-kind="offer-made"]').count()).resolves.toBe(1);
    await shot(page, '06-referral-offered');

    // A baseline ONS4 with one score missing: the API's 400 names the field in an error summary.
    const outcomes = page.locator('#outcomes');
    for (const [i, score] of ['6', '7', '5'].entries()) await page.locator(`#outcome-score-${i}`).fill(score);
    await outcomes.getByRole('button', { name: 'Record outcome' }).click();
    const summary = outcomes.locator('.nhsuk-error-summary');
    await summary.waitFor();
    await expect(summary.textContent()).resolves.toContain('scores');
    await shot(page, '06b-referral-outcome-error');
    await page.locator('#outcome-score-3').fill('4');
    await outcomes.getByRole('button', { name: 'Record outcome' }).click();
    await page.locator('#outcomes table').waitFor();
    await expect(page.locator('#outcomes table').textContent()).resolves.toMatch(/ONS4\s*.*Baseline/);
    await shot(page, '06c-referral-outcome-recorded');
    await context.close();

    const lw = await platform.token({ sub: 'console-e2e-lw', role: 'link_worker', pcn: PCN });
    const offers = await api<{ items: { id: string; referralId: string; serviceId: string }[] }>(
      'GET',
      '/offers?status=pending',
      lw,
    );
    const offer = offers.body.items.find((o) => o.referralId === referralId);
    expect(offer?.serviceId).toBe(walkingGroup.id);
    offerId = offer!.id;
  });

  it('(c) lets the coordinator accept it on a phone-sized screen, with the contact details', async () => {
    const context = await newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const page = await context.newPage();
    await signIn(page, 'vcso_coordinator', { org: organisationId });
    await page.waitForURL(/#\/coordinator$/);
    const card = page.locator(`#pending-offers [data-offer-id="${offerId}"]`);
    await card.waitFor();
    expect(await noSideways(page)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, '07-coordinator-phone-offers');

    await card.getByRole('button', { name: 'Show contact details' }).tap();
    await expect(card.locator('.sp-contact-name').textContent()).resolves.toBe(person.givenName);
    await shot(page, '08-coordinator-phone-contact');

    // Touch targets: every visible button is at least 44 px tall and fits the screen.
    const sizes = await page.locator('button:visible').evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return { text: el.textContent?.trim(), height: Math.round(r.height), right: Math.round(r.right) };
      }),
    );
    expect(sizes.filter((s) => s.height < 44 || s.right > PHONE.width)).toEqual([]);

    await card.locator('button[data-action="accept"]').tap();
    await page.locator(`#accepted-offers [data-offer-id="${offerId}"]`).waitFor();
    await expect(page.locator('.nhsuk-notification-banner').textContent()).resolves.toContain(
      'Offer accepted',
    );
    expect(await noSideways(page)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, '09-coordinator-phone-accepted');
    await context.close();

    const lw = await platform.token({ sub: 'console-e2e-lw', role: 'link_worker', pcn: PCN });
    await waitFor(async () => (await api('GET', `/referrals/${referralId}`, lw)).body.status === 'accepted', {
      timeoutMs: 30_000,
      message: 'the referral to show the acceptance',
    });
  });

  it('(a) shows a service paused by its coordinator in the ICS view within seconds, without a reload', async () => {
    const icsContext = await newContext({ viewport: { width: 1280, height: 900 } });
    const ics = await icsContext.newPage();
    await signIn(ics, 'ics_analyst', { ics: ICS });
    await ics.waitForURL(/#\/ics$/);
    await ics.locator('#live-status[data-state="open"]').waitFor({ timeout: 30_000 });
    const row = ics.locator(`#load-table tr[data-service-id="${gardenClub.id}"]`);
    await expect(row.getAttribute('data-status')).resolves.toBe('open');
    await expect(row.textContent()).resolves.toContain(gardenClub.name);
    await ics.evaluate('window.notReloaded = true');
    await shot(ics, '10-ics-load-before');

    const coContext = await newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const co = await coContext.newPage();
    await signIn(co, 'vcso_coordinator', { org: organisationId });
    const card = co.locator(`.nhsuk-card[data-service-id="${gardenClub.id}"]`);
    await card.waitFor();

    // A bad value comes back as problem+json and is shown in an error summary naming the field.
    await card.locator('input[name="maxActive"]').fill('');
    await card.getByRole('button', { name: 'Save limits' }).tap();
    const summary = card.locator('.nhsuk-error-summary');
    await summary.waitFor();
    await expect(summary.textContent()).resolves.toContain('maxActive');
    await expect(card.locator('.nhsuk-form-group--error input[name="maxActive"]').count()).resolves.toBe(1);
    await shot(co, '11-coordinator-phone-error');

    await card.locator('select[name="reason"]').selectOption('volunteer-shortage');
    const t0 = Date.now();
    await card.locator('button[data-action="pause"]').tap();
    await co.locator(`.nhsuk-card[data-service-id="${gardenClub.id}"][data-status="paused"]`).waitFor();
    await shot(co, '12-coordinator-phone-paused');

    await ics.locator(`#load-table tr[data-service-id="${gardenClub.id}"][data-status="paused"]`).waitFor({
      timeout: 15_000,
    });
    const seconds = (Date.now() - t0) / 1000;
    console.log(`console spec: pause shown in the ICS view ${seconds.toFixed(1)} s after the tap`);
    await expect(ics.evaluate<boolean>('window.notReloaded === true')).resolves.toBe(true);
    await expect(
      ics.locator('#load-counts [data-status="paused"] .sp-tile__count').textContent(),
    ).resolves.toBe('1');
    await shot(ics, '13-ics-load-paused');
    await coContext.close();
    await icsContext.close();
  });

  it('raised no script errors and no Content-Security-Policy violations on any screen', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
