/**
 * The operator console in a real headless Chromium (playwright-core, Debian's chromium at
 * $CHROMIUM_PATH) against local mode: events posted to the real webhook, the consumers running on
 * the delivery engine (forward live, to a loopback target; the others in dry run), and the console
 * on its own loopback port over the same target the CLI's `--local` reads.
 *
 * One browser, one local server and one console for the file. Screenshots go to the test output
 * ($CONSOLE_TEST_OUTPUT, else .ci-out/console), never to committed files.
 */

import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTarget } from '../../cli/target.ts';
import { ConsoleData } from '../../console/data.ts';
import { type ConsoleServer, SESSION_COOKIE, startConsole } from '../../console/server.ts';
import { paths } from '../../local/state.ts';
import { launchChromium } from '../support/chromium.ts';
import { Cleanup, pollUntil, readJsonl, startTestLocal, type TestLocal } from '../support/local-harness.ts';
import { REPO } from '../support/npm-start.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

const OUTPUT = path.resolve(REPO, process.env.CONSOLE_TEST_OUTPUT || '.ci-out/console');
const FORWARD_SECRET = 'console-test-forward-secret-0123456789';

const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(REPO, 'samples', `${name}.json`), 'utf8')) as Record<string, unknown>;

describe('operator console in a browser, on local mode', () => {
  const cleanup = new Cleanup();
  let local: TestLocal;
  let target: TargetServer;
  let console_: ConsoleServer;
  let context: BrowserContext;
  let page: Page;
  /** Every alert, confirm or prompt the pages opened (a confirm is accepted). */
  const dialogs: string[] = [];
  const ids: Record<string, string> = {};
  /** The forwarder target refuses the FAILED sample while this is true: it is dead-lettered. */
  let refuseFailed = true;

  const post = async (body: string, contentType = 'application/json') => {
    const response = await fetch(local.server.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const ingest = async (payload: Record<string, unknown>): Promise<string> => {
    const answer = await post(JSON.stringify(payload));
    expect(answer.status).toBe(200);
    return answer.json.eventId as string;
  };
  const shot = (name: string) => page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
  const open = async (pathname: string) => {
    const response = await page.goto(`${console_.origin}${pathname}`);
    expect(response?.status()).toBe(200);
  };
  const rowIds = () => page.locator('tbody tr td:nth-child(2) a').allTextContents();
  const notice = () => page.locator('.notice').textContent();
  /** Clicks a button that posts a form, and waits for the page it leads to: the notice, or the error. */
  const act = async (button: ReturnType<Page['locator']>, landing: RegExp) => {
    const before = page.url();
    await button.click();
    await page.waitForURL((url) => url.href !== before);
    if (!landing.test(page.url())) {
      throw new Error(`the action led to ${page.url()}: ${await page.locator('main').textContent()}`);
    }
  };

  beforeAll(async () => {
    await mkdir(OUTPUT, { recursive: true });
    target = await startTargetServer();
    cleanup.add(() => target.close());
    target.respondWith((request) =>
      refuseFailed && request.body.includes('bluebird')
        ? { status: 404, body: 'no such hook' }
        : { status: 200 },
    );
    local = await startTestLocal(cleanup, {
      env: { FORWARD_WEBHOOK_URL: `${target.url}/hook`, FORWARD_WEBHOOK_SECRET: FORWARD_SECRET },
    });
    const data = new ConsoleData(await connectTarget({ kind: 'local', dataDir: local.dataDir }), {
      alarms: null,
    });
    console_ = await startConsole({ data, port: 0 });
    cleanup.add(() => console_.close());

    ids.failed = await ingest(sample('v1-failed'));
    ids.partial = await ingest(sample('v1-partial-success'));
    ids.harbor = await ingest(sample('v2-partial-multi-platform'));

    const profile = await mkdtemp(path.join(os.tmpdir(), 'console-chromium-'));
    cleanup.add(() => rm(profile, { recursive: true, force: true }));
    context = await launchChromium(profile);
    cleanup.add(() => context.close());
    page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void (dialog.type() === 'confirm' ? dialog.accept() : dialog.dismiss());
    });
    // The printed URL: its token is traded for the session cookie, and the page lands on the events.
    await page.goto(console_.url);
    expect(new URL(page.url()).pathname).toBe('/events');
    expect(page.url()).not.toContain('token=');
  });

  afterAll(() => cleanup.run());

  it('lists posted events newest first, and filters them by status and by client name', async () => {
    await open('/events');
    expect(await rowIds()).toEqual([ids.harbor, ids.partial, ids.failed]);
    const cookies = await context.cookies(console_.origin);
    expect(cookies.find((c) => c.name === SESSION_COOKIE)).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });

    await page.getByLabel('Status').selectOption('FAILED');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/status=FAILED/);
    expect(await rowIds()).toEqual([ids.failed]);

    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Client or request name contains').fill('Harbor');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/q=Harbor/);
    expect(await rowIds()).toEqual([ids.harbor]);

    await page.getByLabel('Client or request name contains').fill('');
    await page.getByLabel('Platform').fill('Google');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/platform=Google/);
    expect(await rowIds()).toEqual([ids.harbor]);

    await page.getByLabel('Platform').fill('');
    await page.getByLabel('Test events').selectOption('yes');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/test=yes/);
    expect(await rowIds()).toEqual([]);
    await expect(page.locator('.empty').textContent()).resolves.toContain('No events match');
    await open('/events');
    await shot('events');
  });

  it("opens an event and shows each consumer's outcome, the flat record and the payload", async () => {
    const done = await pollUntil('every consumer to have dealt with the event', async () => {
      await open(`/events/${ids.harbor}`);
      // HubSpot keeps no record of a first try that succeeded: it stays "no outcome".
      const waiting = await page
        .locator('li.consumer:not([data-consumer="hubspot"]) .badge-no-outcome')
        .count();
      return waiting === 0 ? true : undefined;
    });
    expect(done).toBe(true);
    const slack = page.locator('li.consumer[data-consumer="slack"]');
    await expect(slack.locator('.badge').first().textContent()).resolves.toBe('done');
    await expect(slack.textContent()).resolves.toMatch(/after 1 try/);
    const forward = page.locator('li.consumer[data-consumer="forward"]');
    await expect(forward.textContent()).resolves.toMatch(/done.*after 1 try/s);
    expect(await page.locator('li.consumer').count()).toBeGreaterThanOrEqual(5);
    await expect(page.locator('#flat-title + table').textContent()).resolves.toContain('Harbor Fitness Ads');
    await expect(page.locator('#payload-title + pre').textContent()).resolves.toContain(
      '"clientName": "Harbor Fitness LLC"',
    );
    await expect(page.locator('#envelope-title + pre').textContent()).resolves.toContain(
      `"eventId": "${ids.harbor}"`,
    );
    // Leadsie's own https link is a link; the asset link to facebook.com is text in the payload only.
    await expect(page.locator('dd a[href^="https://app.leadsie.com/clients/"]').count()).resolves.toBe(1);
    await shot('event');
  });

  it('renders a hostile client name as text and never links a javascript: URL', async () => {
    const hostile = {
      ...sample('v2-partial-multi-platform'),
      requestUrl: 'javascript:alert(document.domain)',
      requestName: '<script>alert("request")</script>',
      clientName: '<img src=x onerror=alert(1)>',
      clientSummaryUrl: 'javascript:alert(2)',
    };
    ids.hostile = await ingest(hostile);
    await open('/events');
    const row = page.locator('tbody tr', { has: page.locator(`a:text("${ids.hostile}")`) });
    await expect(row.textContent()).resolves.toContain('<img src=x onerror=alert(1)>');
    await expect(row.textContent()).resolves.toContain('<script>alert("request")</script>');
    await open(`/events/${ids.hostile}`);
    await expect(page.locator('dl.facts').textContent()).resolves.toContain('<img src=x onerror=alert(1)>');
    await expect(page.locator('dl.facts').textContent()).resolves.toContain('javascript:alert(2)');
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
    await open('/clients');
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
    await page.locator('tbody a', { hasText: '<img src=x onerror=alert(1)>' }).click();
    await page.waitForURL(/\/clients\/view/);
    await expect(page.locator('h1').textContent()).resolves.toBe('Client <img src=x onerror=alert(1)>');
    expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
    expect(dialogs.filter((d) => d.startsWith('alert'))).toEqual([]);
  });

  it('retries a quarantined body after a fix (the right content type) and discards junk', async () => {
    const body = JSON.stringify({
      ...sample('v1-partial-success'),
      requestUrl: 'https://app.leadsie.com/request/quarantined-then-fixed',
    });
    const refused = await post(body, 'text/plain');
    expect(refused.status).toBe(415);
    const id = refused.json.quarantineId as string;
    const junk = await post('{"not": "a leadsie payload"}');
    expect(junk.status).toBe(400);
    const junkId = junk.json.quarantineId as string;

    await open('/quarantine');
    const entry = page.locator(`li.quarantined[data-id="${id}"]`);
    await expect(entry.textContent()).resolves.toContain('text/plain');
    await shot('quarantine');
    await entry.getByLabel('Send as content type (optional)').fill('application/json');
    await act(entry.getByRole('button', { name: 'Retry' }), /\/quarantine\?notice=/);
    const resolved = await notice();
    expect(resolved).toMatch(new RegExp(`^Resolved ${id.slice(0, 12)}: event (\\w{26}) \\(ingested\\)\\.$`));
    expect(await page.locator(`li.quarantined[data-id="${id}"]`).count()).toBe(0);
    const eventId = /event (\w{26})/.exec(resolved ?? '')?.[1] ?? '';
    await open(`/events/${eventId}`);
    await expect(page.locator('h1').textContent()).resolves.toContain(eventId);

    await open('/quarantine');
    const junkEntry = page.locator(`li.quarantined[data-id="${junkId}"]`);
    await act(junkEntry.getByRole('button', { name: 'Discard' }), /\/quarantine\?notice=/);
    expect(await notice()).toBe(`Discarded ${junkId.slice(0, 12)}.`);
    expect(dialogs).toContain('confirm: Discard this entry without ingesting it?');
    expect(await page.locator('li.quarantined').count()).toBe(0);
  });

  it('lists a dead letter with its reason, and redrives it once the target is fixed', async () => {
    const section = page.locator('section.dead-letters[data-consumer="forward"]');
    await pollUntil('the FAILED event to be dead-lettered by forward', async () => {
      await open('/dead-letters');
      return (await section.textContent())?.includes(ids.failed ?? '-') ? true : undefined;
    });
    await expect(section.textContent()).resolves.toMatch(/404/);
    await shot('dead-letters');
    refuseFailed = false;
    await act(section.getByRole('button', { name: 'Redrive forward' }), /\/dead-letters\?notice=/);
    expect(await notice()).toMatch(/^Redrove forward: moved 1, resent 0 \(1 listed before\)\.$/);
    await pollUntil('the redriven event to reach the target and leave the list', async () => {
      await open('/dead-letters');
      const listed = (await section.textContent())?.includes(ids.failed ?? '-');
      // The forwarder posts the flat record (no eventId): the FAILED sample is the Bluebird request.
      const delivered = target.requests.filter((r) => r.body.includes('bluebird-dental')).length === 2;
      return !listed && delivered ? true : undefined;
    });
    await open(`/events/${ids.failed}`);
    await expect(page.locator('li.consumer[data-consumer="forward"]').textContent()).resolves.toMatch(
      /done after 2 tries/,
    );
  });

  it('replays an event to one consumer, forced, and that consumer alone sends it again', async () => {
    const slackOutbox = paths(local.dataDir).outboxOf('slack');
    const teamsOutbox = paths(local.dataDir).outboxOf('teams');
    const sentBy = async (file: string) =>
      (await readJsonl<{ eventId: string }>(file)).filter((line) => line.eventId === ids.partial).length;
    await pollUntil('the first send to slack', async () =>
      (await sentBy(slackOutbox)) === 1 ? true : undefined,
    );
    const teamsBefore = await sentBy(teamsOutbox);

    await open(`/events/${ids.partial}`);
    await page.getByLabel('Send to').selectOption('slack');
    await page.getByLabel('Force: send again even where it was already sent').check();
    await act(page.getByRole('button', { name: 'Replay' }), /\/events\/\w+\?notice=/);
    expect(await notice()).toBe(`Replayed ${ids.partial} to slack (forced).`);
    await pollUntil('slack to send the event again', async () =>
      (await sentBy(slackOutbox)) === 2 ? true : undefined,
    );
    expect(await sentBy(teamsOutbox)).toBe(teamsBefore);
  });

  it('shows the health page: counts and the events-per-hour chart', async () => {
    await open('/health');
    await expect(page.locator('[data-metric="quarantined"]').textContent()).resolves.toBe('0');
    await expect(page.locator('[data-metric="pending"]').textContent()).resolves.toBe('0');
    const bars = page.locator('figure.chart svg rect');
    expect(await bars.count()).toBeGreaterThan(0);
    await expect(page.locator('figure.chart svg > title').textContent()).resolves.toMatch(/Events per hour/);
    await shot('health');
  });

  describe('security', () => {
    const sessionCookie = async (): Promise<string> => {
      const response = await fetch(console_.url, { redirect: 'manual' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/');
      const cookie = response.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      return cookie.split(';')[0] ?? '';
    };

    it('refuses a request without the session cookie, and a wrong token', async () => {
      const response = await fetch(`${console_.origin}/events`, { redirect: 'manual' });
      expect(response.status).toBe(401);
      expect(await response.text()).toContain('No console session');
      const wrong = await fetch(`${console_.origin}/?token=not-the-token`, { redirect: 'manual' });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('set-cookie')).toBeNull();
      const forged = await fetch(`${console_.origin}/events`, {
        headers: { cookie: `${SESSION_COOKIE}=forged` },
      });
      expect(forged.status).toBe(401);
    });

    it('refuses a POST from another origin, or with no origin, and changes nothing', async () => {
      const cookie = await sessionCookie();
      const before = target.requests.length;
      for (const origin of ['http://evil.example', 'null', undefined]) {
        const response = await fetch(`${console_.origin}/events/${ids.partial}/replay`, {
          method: 'POST',
          headers: {
            cookie,
            'content-type': 'application/x-www-form-urlencoded',
            ...(origin === undefined ? {} : { origin }),
          },
          body: 'consumer=forward&force=yes',
          redirect: 'manual',
        });
        expect(response.status).toBe(403);
        expect(await response.text()).toContain('Actions are taken from this console');
      }
      const allowed = await fetch(`${console_.origin}/events`, { headers: { cookie } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(target.requests.length).toBe(before);
    });

    it('refuses a request whose Host is not the served loopback address (DNS rebinding)', async () => {
      const cookie = await sessionCookie();
      const { port } = new URL(console_.origin);
      const status = (host: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest(
            { host: '127.0.0.1', port: Number(port), path: '/events', headers: { host, cookie } },
            (res) => {
              let body = '';
              res.setEncoding('utf8').on('data', (chunk: string) => {
                body += chunk;
              });
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            },
          );
          req.on('error', reject);
          req.end();
        });
      const rebound = await status(`attacker.example:${port}`);
      expect(rebound.status).toBe(421);
      expect(rebound.body).toContain(`This console answers at ${console_.origin} only`);
      expect((await status(`localhost:${port}`)).status).toBe(421);
      expect((await status(`127.0.0.1:${port}`)).status).toBe(200);
    });
  });
});
