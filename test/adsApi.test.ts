import { performance } from 'node:perf_hooks';
import { freePort } from '../lib/embeddedPostgres';
import { ConfigError } from '../lib/errors';
import { generateImpressions } from '../adsApi/impressions';
import { xoshiro128StarStar } from '../lib/random';
import { RULE_BREAKS } from '../adsApi/ruleBreaks';
import { startAdsApi, type AdsApi, type AdsApiOptions } from '../adsApi/server';
import { captureLogger } from './support/logs';
import { killStarted, startNode, stopProcess, waitUntil, type Running } from './support/processes';

/**
 * The ads API against real HTTP: in-process servers on free ports with a fixed clock, and once as
 * the process Compose runs. The rules an impression is checked against are written here from
 * issue 10 and docs/ads-api.md, not taken from adsApi/, so a bug there cannot hide itself.
 */

const NOW = new Date('2026-12-01T12:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const HOURS_28 = 28 * 3600;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const GROUPS = ['marketing', 'recruiting', 'brand', 'investment'];
// docs/ads-api.md, "Bad impressions": the breaks of bad_every, in their order.
const BREAK_ROTATION = [
  'ad_id missing',
  'ad_id not a UUID',
  'shown_at missing',
  'shown_at a string',
  'shown_at not finite',
  'shown_at in the future',
  'ad_campaign an unknown string',
  'ad_campaign not an integer',
  'ad_group not a string',
  'ad_scheme not an object',
];

type Item = Record<string, unknown>;

const servers: AdsApi[] = [];

async function start(options: Partial<AdsApiOptions> = {}): Promise<AdsApi> {
  const api = await startAdsApi({ port: 0, seed: 42, now: () => NOW, ...options });
  servers.push(api);
  return api;
}

afterAll(async () => {
  killStarted();
  await Promise.all(servers.map((api) => api.close()));
});

async function get(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The rule of issue 10 an impression breaks, or another word for what is wrong with it; undefined when valid. */
function brokenRule(item: Item): string | undefined {
  const { ad_id, shown_at, ad_campaign, ad_group, ad_scheme } = item;
  if (!('ad_id' in item)) return 'ad_id missing';
  if (typeof ad_id !== 'string' || !UUID_V4.test(ad_id)) return 'ad_id not a UUID';
  if (!('shown_at' in item)) return 'shown_at missing';
  if (typeof shown_at === 'string') return 'shown_at a string';
  if (typeof shown_at !== 'number') return 'shown_at another type';
  if (!Number.isFinite(shown_at)) return 'shown_at not finite';
  if (shown_at > NOW_SECONDS) return 'shown_at in the future';
  if (shown_at < NOW_SECONDS - HOURS_28) return 'shown_at older than 28 hours';
  if (typeof ad_campaign === 'string' && ad_campaign !== '__unknown') return 'ad_campaign an unknown string';
  if (typeof ad_campaign === 'number' && !Number.isInteger(ad_campaign)) return 'ad_campaign not an integer';
  if (typeof ad_campaign === 'number' && (ad_campaign < 500 || ad_campaign > 999)) return 'ad_campaign out of range';
  if (typeof ad_campaign !== 'number' && ad_campaign !== '__unknown') return 'ad_campaign another type';
  if (typeof ad_group !== 'string') return 'ad_group not a string';
  if (!GROUPS.includes(ad_group)) return 'ad_group unknown';
  if ('ad_scheme' in item && (typeof ad_scheme !== 'object' || ad_scheme === null || Array.isArray(ad_scheme))) {
    return 'ad_scheme not an object';
  }
  if (ad_scheme !== undefined && !isScheme(ad_scheme as Item)) return 'ad_scheme of another shape';
  const extra = Object.keys(item).filter(
    (key) => !['ad_id', 'ad_group', 'ad_campaign', 'shown_at', 'ad_scheme'].includes(key),
  );
  return extra.length === 0 ? undefined : `unexpected keys ${extra.join(', ')}`;
}

function isScheme(scheme: Item): boolean {
  return (
    Object.keys(scheme).sort().join() === 'approved,origin' &&
    ['manual', 'automatic'].includes(scheme.origin as string) &&
    typeof scheme.approved === 'boolean'
  );
}

/** What bad_every=every breaks at each position of a response, by the rule of the docs. */
function expectedBreaks(every: number): (string | undefined)[] {
  return Array.from({ length: 100 }, (_, position) =>
    (position + 1) % every === 0 ? BREAK_ROTATION[((position + 1) / every - 1) % BREAK_ROTATION.length] : undefined,
  );
}

// Over 5,000 impressions the standard deviation of a 10% share is 0.4%, of a 20% share 0.6%:
// the tolerances below are about four of them.
const share = (items: readonly Item[], test: (item: Item) => boolean): number =>
  items.filter(test).length / items.length;

describe('the impressions of 50 calls', () => {
  let api: AdsApi;
  let bodies: string[];
  let items: Item[];

  beforeAll(async () => {
    api = await start();
    bodies = [];
    for (let call = 0; call < 50; call += 1) {
      const response = await get(api.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      bodies.push(response.text);
    }
    items = bodies.flatMap((body) => JSON.parse(body) as Item[]);
  });

  test('each call is an array of 100 valid impressions, and the server counted 50 calls', () => {
    expect(bodies.map((body) => (JSON.parse(body) as unknown[]).length)).toEqual(Array(50).fill(100));
    expect(items.map(brokenRule).filter((rule) => rule !== undefined)).toEqual([]);
    expect(api.calls()).toBe(50);
  });

  test('ad_id: a v4 UUID, none repeated across the calls', () => {
    expect(new Set(items.map((item) => item.ad_id)).size).toBe(5000);
  });

  test('ad_group: every one of the four, ad_campaign: the range, and "__unknown" on about 10%', () => {
    expect(new Set(items.map((item) => item.ad_group))).toEqual(new Set(GROUPS));
    const campaigns = items.map((item) => item.ad_campaign).filter((c): c is number => typeof c === 'number');
    expect(Math.min(...campaigns)).toBe(500);
    expect(Math.max(...campaigns)).toBe(999);
    expect(Math.abs(share(items, (item) => item.ad_campaign === '__unknown') - 0.1)).toBeLessThan(0.02);
  });

  test('shown_at: float seconds spread over the 28 hours before the clock, not rounded', () => {
    const shown = items.map((item) => item.shown_at as number);
    expect(Math.min(...shown)).toBeLessThan(NOW_SECONDS - 27 * 3600);
    expect(Math.max(...shown)).toBeGreaterThan(NOW_SECONDS - 3600);
    expect(new Set(shown).size).toBe(shown.length);
    // Rounded to the microsecond (what a loader must do), most change: the API keeps all the digits. A
    // double this size steps by 2^-22 s (0.24 µs), so about a quarter are a whole microsecond anyway.
    const microseconds = (seconds: number): number => Math.round(seconds * 1e6) / 1e6;
    expect(share(items, (item) => microseconds(item.shown_at as number) !== item.shown_at)).toBeGreaterThan(0.6);
    expect(bodies[0]).toMatch(/"shown_at":\d{10}\.\d{6,8}[,}]/);
  });

  test('ad_scheme: on about one in five, {origin, approved} of every kind, absent (not null) elsewhere', () => {
    expect(Math.abs(share(items, (item) => 'ad_scheme' in item) - 0.2)).toBeLessThan(0.025);
    const schemes = items.flatMap((item) => (item.ad_scheme === undefined ? [] : [JSON.stringify(item.ad_scheme)]));
    expect(new Set(schemes)).toEqual(
      new Set(
        ['manual', 'automatic'].flatMap((origin) =>
          [true, false].map((approved) => JSON.stringify({ origin, approved })),
        ),
      ),
    );
    expect(bodies.join('')).not.toContain('"ad_scheme":null');
  });
});

describe('seeding', () => {
  test('the same seed and clock give the same bytes, call by call, as generateImpressions', async () => {
    const [first, second] = [await start(), await start()];
    for (let call = 1; call <= 3; call += 1) {
      const [a, b] = [await get(first.url), await get(second.url)];
      expect(a.text).toBe(b.text);
      expect(a.text).toBe(JSON.stringify(generateImpressions(42, call, NOW)));
    }
  });

  test('another seed gives other ad_ids', () => {
    const ids = (seed: number): string[] =>
      [1, 2, 3].flatMap((call) => generateImpressions(seed, call, NOW).map((impression) => impression.ad_id));
    const ours = new Set(ids(42));
    expect(ids(43).filter((id) => ours.has(id))).toEqual([]);
    expect(ids(0).filter((id) => ours.has(id))).toEqual([]);
  });

  test('the generator is xoshiro128** word for word (the reference C code from state 1, 2, 3, 4)', () => {
    const next = xoshiro128StarStar([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, next)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });
});

describe('faults', () => {
  test('delay_ms=400 answers after 400 ms, with the impressions', async () => {
    const api = await start();
    const startedMs = performance.now();
    const response = await get(`${api.url}?delay_ms=400`);
    const elapsedMs = performance.now() - startedMs;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toHaveLength(100);
    expect(elapsedMs).toBeGreaterThanOrEqual(395);
    expect(elapsedMs).toBeLessThan(3000);
  });

  test('a client that gives up during a delay is logged as aborted, and nothing waits for it', async () => {
    const { logger, entries } = captureLogger();
    const api = await start({ log: logger });
    await expect(fetch(`${api.url}?delay_ms=60000`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    await waitUntil(() => entries.some((entry) => entry.status === 'aborted'), 5000);
    const aborted = entries.find((entry) => entry.status === 'aborted')!;
    expect(aborted).toMatchObject({ impressions: 0, call: 1, path: '/ads?delay_ms=60000' });
    expect(aborted.duration_ms).toBeLessThan(5000);
  });

  test('close() ends at once, dropping an answer still delayed', async () => {
    const api = await startAdsApi({ port: 0, seed: 1 });
    const pending = fetch(`${api.url}?delay_ms=60000`).then(
      () => 'answered',
      () => 'dropped',
    );
    await waitUntil(() => api.calls() === 1, 5000);
    const startedMs = performance.now();
    await api.close();
    expect(performance.now() - startedMs).toBeLessThan(2000);
    expect(await pending).toBe('dropped');
  });

  test.each([500, 503, 429])('status=%i answers that status with a JSON error', async (status) => {
    const api = await start();
    const response = await get(`${api.url}?status=${status}`);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(response.text)).toEqual({ error: expect.stringContaining(String(status)) });
  });

  test('fail_first=2: the first two requests with it answer 500, the ones after succeed; per server', async () => {
    const api = await start();
    const statuses: number[] = [];
    for (const query of ['?fail_first=2', '', '?fail_first=2', '?fail_first=2', '?fail_first=2']) {
      statuses.push((await get(`${api.url}${query}`)).status);
    }
    expect(statuses).toEqual([500, 200, 500, 200, 200]);
    const fresh = await start();
    expect((await get(`${fresh.url}?fail_first=2`)).status).toBe(500);
  });

  test('body=malformed and body=truncated are not JSON; truncated is the first half of the normal body', async () => {
    const api = await start();
    const malformed = await get(`${api.url}?body=malformed`);
    expect(malformed.status).toBe(200);
    expect(() => JSON.parse(malformed.text)).toThrow(SyntaxError);
    const truncated = await get(`${api.url}?body=truncated`);
    const whole = JSON.stringify(generateImpressions(42, api.calls(), NOW));
    expect(truncated.status).toBe(200);
    expect(truncated.text).toBe(whole.slice(0, Math.floor(whole.length / 2)));
    expect(() => JSON.parse(truncated.text)).toThrow(SyntaxError);
  });

  test('body=object is valid JSON, an object and not an array', async () => {
    const api = await start();
    const parsed: unknown = JSON.parse((await get(`${api.url}?body=object`)).text);
    expect(typeof parsed).toBe('object');
    expect(Array.isArray(parsed)).toBe(false);
  });

  test.each([1, 3, 7, 10, 100])(
    'bad_every=%i breaks the documented rule at the documented positions',
    async (every) => {
      const api = await start();
      const response = await get(`${api.url}?bad_every=${every}`);
      const items = JSON.parse(response.text) as Item[];
      expect(items.map(brokenRule)).toEqual(expectedBreaks(every));
      expect(RULE_BREAKS.map((rule) => rule.kind)).toEqual(BREAK_ROTATION);
      if (every === 1) {
        expect(response.text).toContain('"shown_at":1e400');
        expect(items[5]!.shown_at).toBe(NOW_SECONDS + 3600);
        expect(items[7]!.ad_campaign).toBe(12.5);
      }
    },
  );

  test('faults combine: bad_every with body=truncated is the first half of the broken body', async () => {
    const api = await start();
    const broken = await get(`${api.url}?bad_every=5`);
    const cut = await get(`${(await start()).url}?bad_every=5&body=truncated`);
    expect(cut.text).toBe(broken.text.slice(0, Math.floor(broken.text.length / 2)));
  });
});

describe('requests refused', () => {
  test.each([
    ['status=abc', 'status="abc"'],
    ['status=', 'status=""'],
    ['status=200', 'status="200"'],
    ['delay_ms=-1', 'delay_ms="-1"'],
    ['delay_ms=120001', 'delay_ms="120001"'],
    ['fail_first=x', 'fail_first="x"'],
    ['bad_every=0', 'bad_every="0"'],
    ['bad_every=2.5', 'bad_every="2.5"'],
    ['body=json', 'body="json"'],
    ['seed=1', 'unknown parameter "seed"'],
    ['status=500&status=503', 'status given 2 times'],
  ])('?%s: 400 naming it, and no call counted', async (query, named) => {
    const api = await start();
    const response = await get(`${api.url}?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json');
    const { error } = JSON.parse(response.text) as { error: string };
    expect(error).toContain(named);
    expect(error).toContain('docs/ads-api.md');
    expect(api.calls()).toBe(0);
  });

  test('every bad parameter of a request is named at once', async () => {
    const api = await start();
    const { error } = JSON.parse((await get(`${api.url}?status=abc&foo=1`)).text) as { error: string };
    expect(error).toMatch(/status="abc".*; unknown parameter "foo"/);
  });

  test('GET /health is ok, another path is 404, another method 405, all as JSON', async () => {
    const api = await start();
    const base = api.url.replace(/\/ads$/, '');
    const health = await get(`${base}/health`);
    expect([health.status, health.headers.get('content-type'), health.text]).toEqual([
      200,
      'application/json',
      '{"status":"ok"}',
    ]);
    const missing = await get(`${base}/ads/`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ error: expect.stringContaining('GET /ads') });
    const posted = await get(api.url, { method: 'POST' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET');
    expect(JSON.parse(posted.text)).toEqual({ error: expect.stringContaining('only GET') });
    expect(api.calls()).toBe(0);
  });
});

test('one log line per request: method, path, status, impressions, call, duration_ms', async () => {
  const { logger, entries } = captureLogger();
  const api = await start({ log: logger });
  await get(api.url);
  await get(`${api.url}?status=503`);
  await get(`${api.url}?foo=1`);
  await waitUntil(() => entries.length === 3, 5000);
  expect(entries).toEqual([
    expect.objectContaining({ level: 'info', method: 'GET', path: '/ads', status: 200, impressions: 100, call: 1 }),
    expect.objectContaining({ level: 'info', path: '/ads?status=503', status: 503, impressions: 0, call: 2 }),
    expect.objectContaining({
      level: 'warn',
      path: '/ads?foo=1',
      status: 400,
      impressions: 0,
      error: expect.any(String),
    }),
  ]);
  expect(entries.every((entry) => typeof entry.duration_ms === 'number')).toBe(true);
});

test('a port already taken, or a seed out of range, is a ConfigError saying what to change', async () => {
  const api = await start();
  const taken = startAdsApi({ port: api.port, seed: 1 });
  await expect(taken).rejects.toBeInstanceOf(ConfigError);
  await expect(taken).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\): .*ADS_API_PORT/);
  await expect(startAdsApi({ port: 0, seed: 1.5 })).rejects.toBeInstanceOf(ConfigError);
});

describe('npm run ads-api, as a process', () => {
  async function startService(env: Record<string, string>): Promise<{ running: Running; url: string; seed: number }> {
    const port = await freePort();
    const running = startNode(['dist/adsApi/main.js'], { ADS_API_PORT: String(port), ...env });
    await waitUntil(() => running.stdout().includes('ads API listening'), 15_000, running);
    const seed = Number(/ seed=(\d+) /.exec(running.stdout())?.[1]);
    return { running, url: `http://127.0.0.1:${port}/ads`, seed };
  }

  const firstIds = (seed: number): string[] => generateImpressions(seed, 1, NOW).map((impression) => impression.ad_id);

  test('ADS_API_SEED=7: serves the calls of seed 7, logs each request, exits 0 on SIGTERM', async () => {
    const { running, url, seed } = await startService({ ADS_API_SEED: '7' });
    expect(seed).toBe(7);
    expect(running.stdout()).toContain(`url=${url}`);
    const items = JSON.parse((await get(url)).text) as Item[];
    expect(items.map((item) => item.ad_id)).toEqual(firstIds(7));
    expect((await get(url.replace(/ads$/, 'health'))).status).toBe(200);
    expect(await stopProcess(running)).toMatchObject({ code: 0 });
    expect(running.stdout()).toMatch(/status=200 duration_ms=\d+ method=GET path=\/ads impressions=100 call=1/);
    expect(running.stdout()).toMatch(/calls=1 ads API stopped/);
    expect(running.stderr()).toBe('');
  });

  test('without ADS_API_SEED: picks a seed, logs it, and that seed reproduces its ad_ids', async () => {
    const { running, url, seed } = await startService({});
    expect(running.stdout()).toMatch(/seed_from="picked at start/);
    const items = JSON.parse((await get(url)).text) as Item[];
    expect(items.map((item) => item.ad_id)).toEqual(firstIds(seed));
    expect(await stopProcess(running, 'SIGINT')).toMatchObject({ code: 0 });
  });
});
