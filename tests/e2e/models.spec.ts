// The Model panel as a user meets it, against the production build. The Hugging Face Hub is played by
// Playwright routing on https://huggingface.co/**: context.route also intercepts the requests of the
// engine's dedicated worker (Chromium), which is where every Hub request comes from — each test checks the
// route saw the listing and file requests. The model is the tiny BERT fixture (2 layers, hidden 32, 98
// tokens), so everything stays quick on SwiftShader.

import { expect, test, type BrowserContext, type Page, type Route } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SLOW = { timeout: 150_000 };
const FIXTURE = new URL('../fixtures/tiny-bert/', import.meta.url).pathname;
const FILE_NAMES = ['config.json', 'tokenizer_config.json', 'tokenizer.json', 'vocab.txt', 'model.safetensors'];
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const SCREENSHOTS = process.env.RAPT_SCREENSHOTS ?? tmpdir();

type Files = Record<string, Buffer>;
const fixtureFiles = (): Files => Object.fromEntries(FILE_NAMES.map((f) => [f, readFileSync(join(FIXTURE, f))]));

/** The Hub API's listing (model_info with files_metadata): sizes, LFS SHA-256 for weights, git blob ids otherwise. */
function listingOf(id: string, files: Files) {
  return {
    id,
    sha: COMMIT,
    gated: false,
    siblings: Object.entries(files).map(([rfilename, body]) =>
      rfilename.endsWith('.safetensors')
        ? { rfilename, size: body.byteLength, blobId: 'f'.repeat(40), lfs: { sha256: createHash('sha256').update(body).digest('hex'), size: body.byteLength, pointerSize: 134 } }
        : { rfilename, size: body.byteLength, blobId: createHash('sha1').update(`blob ${body.byteLength}\0`).update(body).digest('hex') },
    ),
  };
}

const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-error-code, content-length, etag' };

interface FakeModel {
  /** What the listing describes (default: the files served). */
  listed?: Files;
  /** What is served for each file. */
  served: Files;
  /** Replaces the answer for one file. */
  fileRoute?: (route: Route, file: string) => Promise<void> | null;
}

/** A fake huggingface.co for the given models; returns the log of requested paths. */
async function fakeHub(context: BrowserContext, models: Record<string, FakeModel>): Promise<string[]> {
  const log: string[] = [];
  await context.route('https://huggingface.co/**', async (route) => {
    const url = new URL(route.request().url());
    log.push(`${route.request().method()} ${url.pathname}`);
    const api = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (api) {
      const model = models[decodeURIComponent(api[1])];
      if (!model) return route.fulfill({ status: 401, headers: { ...CORS, 'x-error-code': 'RepoNotFound' }, body: '{"error":"Repository not found"}' });
      return route.fulfill({ status: 200, headers: CORS, contentType: 'application/json', body: JSON.stringify(listingOf(decodeURIComponent(api[1]), model.listed ?? model.served)) });
    }
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const model = resolve ? models[decodeURIComponent(resolve[1])] : undefined;
    if (!resolve || !model) return route.fulfill({ status: 404, headers: { ...CORS, 'x-error-code': 'RepoNotFound' }, body: 'not found' });
    const file = decodeURIComponent(resolve[3]);
    const custom = model.fileRoute?.(route, file);
    if (custom) return custom;
    const body = model.served[file];
    if (!body) return route.fulfill({ status: 404, headers: { ...CORS, 'x-error-code': 'EntryNotFound' }, body: 'Entry not found' });
    return route.fulfill({ status: 200, headers: CORS, contentType: 'application/octet-stream', body });
  });
  return log;
}

/** Opens the app and waits until the bundled model is in and the first privatised text and curve are shown. */
async function openApp(page: Page, pageErrors: string[]) {
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('changed-count')).toBeVisible(SLOW);
  await expect(page.getByTestId('curve-status')).toContainText('done', SLOW);
  await expect(page.getByTestId('model-info')).toContainText('Universal Sentence Encoder Lite');
}

async function loadFromHub(page: Page, id: string) {
  await page.getByTestId('model-source-hub').check();
  await page.getByTestId('hub-id').fill(id);
  await page.getByTestId('load-model').click();
}

/** Waits until the Load button is back (the load finished, either way). */
async function loadFinished(page: Page) {
  await expect(page.getByTestId('load-model')).toHaveText('Load model', SLOW);
}

async function expectTinyBert(page: Page, source: string) {
  const shape = page.getByTestId('model-shape');
  await expect(shape).toHaveAttribute('data-layers', '2', SLOW);
  await expect(shape).toHaveAttribute('data-hidden', '32');
  await expect(shape).toContainText('2 layers · hidden 32 · 4 heads · 40 max positions');
  await expect(page.getByTestId('model-source')).toContainText(source);
  await expect(page.getByTestId('model-vocabulary')).toContainText('98 tokens · embedding dim 32');
  await expect(page.getByTestId('model')).toContainText('vocabulary 98');
}

/** The explorer privatises with the current model: the answer is fresh and shows its pass-through tokens. */
async function expectPrivatizedWithBert(page: Page) {
  const output = page.getByTestId('privatized-text');
  await expect(output).toHaveAttribute('data-pending', 'false', SLOW);
  await expect(output.locator('.tok.pass').first()).toHaveText('[CLS]');
  await expect(output.locator('.tok.pass').last()).toHaveText('[SEP]');
  await expect(page.getByTestId('changed-count')).toContainText(/\(\d+ passed through unprivatised\)/);
}

async function expectBundledStillWorks(page: Page) {
  await expect(page.getByTestId('model')).toContainText('Universal Sentence Encoder Lite');
  await page.getByTestId('text-input').fill('The film was good.');
  await page.getByTestId('eta-input').fill('10000');
  const output = page.getByTestId('privatized-text');
  await expect(output).toHaveAttribute('data-eta', '10000', SLOW);
  await expect(output).toHaveAttribute('data-pending', 'false', SLOW);
  await expect(output).toHaveText('The film was good.');
}

test('loads a BERT model from the Hub by id, checks it and privatises with its table', async ({ page, context }) => {
  const pageErrors: string[] = [];
  const hub = await fakeHub(context, { 'test-org/tiny-bert': { served: fixtureFiles() } });
  await openApp(page, pageErrors);
  await expect(page.getByTestId('no-cached-models')).toBeVisible();

  await loadFromHub(page, 'test-org/tiny-bert');
  await expectTinyBert(page, 'test-org/tiny-bert (Hugging Face Hub)');
  await expect(page.getByTestId('model-architecture')).toContainText('BertForMaskedLM');
  await expect(page.getByTestId('model-candidates')).toContainText('of 98 tokens');
  await expect(page.getByTestId('model-gpu')).toContainText('MB');
  await loadFinished(page);

  // Every Hub request came from the engine worker and went through the route.
  expect(hub).toContain('GET /api/models/test-org/tiny-bert/revision/main');
  // (tokenizer.json is preferred, so vocab.txt is listed but not downloaded.)
  for (const f of FILE_NAMES.filter((f) => f !== 'vocab.txt')) expect(hub).toContain(`GET /test-org/tiny-bert/resolve/${COMMIT}/${f}`);

  // The explorer switched: stale curves gone, the current text privatised with the BERT table.
  await expect(page.getByTestId('curve-status')).toHaveCount(0);
  await page.getByTestId('text-input').fill('the cat sat on the mat');
  await expectPrivatizedWithBert(page);
  await page.getByTestId('eta-input').fill('10000');
  await expect(page.getByTestId('privatized-text')).toHaveAttribute('data-eta', '10000', SLOW);
  await expect(page.getByTestId('privatized-text')).toHaveAttribute('data-pending', 'false', SLOW);
  await expect(page.getByTestId('changed-count')).toHaveText('0 of 8 tokens changed (2 passed through unprivatised)');

  // Sentence similarity: a 3 × 3 matrix with a unit diagonal.
  await page.getByTestId('run-similarity').click();
  const cells = page.getByTestId('similarity-cell');
  await expect(cells).toHaveCount(9, SLOW);
  for (let i = 0; i < 3; i++) {
    const diagonal = Number(await page.locator(`[data-testid="similarity-cell"][data-row="${i}"][data-col="${i}"]`).getAttribute('data-value'));
    expect(diagonal).toBeCloseTo(1, 5);
  }
  const offDiagonal = Number(await page.locator('[data-testid="similarity-cell"][data-row="0"][data-col="1"]').getAttribute('data-value'));
  expect(offDiagonal).toBeGreaterThan(-1);
  expect(offDiagonal).toBeLessThan(1);

  // Fill-mask: five candidates with probabilities.
  await page.getByTestId('run-fill-mask').click();
  await expect(page.getByTestId('fill-mask-candidate')).toHaveCount(5, SLOW);
  await expect(page.getByTestId('fill-mask-prediction').first()).toContainText('%');

  // The model is cached now.
  await expect(page.locator('[data-testid="cached-model"][data-model-id="test-org/tiny-bert"]')).toContainText('main');
  await expect(page.getByTestId('storage-usage')).toContainText('Cached model files');

  await expect(page.getByTestId('error-box')).toHaveCount(0);
  await page.locator('#models').screenshot({ path: join(SCREENSHOTS, 'rapt-models-panel.png') });
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-models-full.png'), fullPage: true });
  expect(pageErrors).toEqual([]);
});

test('a corrupt and a truncated download each give an error box and the bundled model stays usable', async ({ page, context }) => {
  const pageErrors: string[] = [];
  const good = fixtureFiles();
  // A safetensors header that claims far more bytes than any file has (the Hub's listing agrees with it).
  const corrupt = Buffer.from(good['model.safetensors']);
  corrupt.writeBigUInt64LE(10n ** 12n, 0);
  const half = good['model.safetensors'].subarray(0, good['model.safetensors'].byteLength / 2);
  const hub = await fakeHub(context, {
    'test-org/broken-bert': { served: { ...good, 'model.safetensors': corrupt } },
    // The listing gives the real size; the server sends half of it.
    'test-org/truncated-bert': { listed: good, served: { ...good, 'model.safetensors': half } },
    // The server announces the full length but the connection ends after half of the body.
    'test-org/cut-bert': {
      served: good,
      fileRoute: (route, file) =>
        file === 'model.safetensors'
          ? route.fulfill({ status: 200, headers: { ...CORS, 'content-length': String(good[file].byteLength) }, contentType: 'application/octet-stream', body: half })
          : null,
    },
  });
  await openApp(page, pageErrors);
  const errors = page.getByTestId('error-box');

  await loadFromHub(page, 'test-org/broken-bert');
  await expect(errors).toHaveCount(1, SLOW);
  await expect(errors).toContainText('The model could not be loaded');
  await expect(errors).toContainText('model.safetensors in huggingface.co is not a safetensors file: its header claims 1000000000000 bytes');
  await loadFinished(page);
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-models-error.png') });
  await errors.getByRole('button', { name: 'Dismiss this message' }).click();
  await expectBundledStillWorks(page);

  await loadFromHub(page, 'test-org/truncated-bert');
  await expect(errors).toHaveCount(1, SLOW);
  await expect(errors).toContainText(`model.safetensors from huggingface.co has ${half.byteLength} bytes but the Hub lists ${good['model.safetensors'].byteLength}: the download is incomplete`);
  await loadFinished(page);
  await errors.getByRole('button', { name: 'Dismiss this message' }).click();

  await loadFromHub(page, 'test-org/cut-bert');
  await expect(errors).toHaveCount(1, SLOW);
  await expect(errors).toContainText(`The download of model.safetensors of test-org/cut-bert was cut short (${half.byteLength} of ${good['model.safetensors'].byteLength} bytes)`);
  await loadFinished(page);
  await errors.getByRole('button', { name: 'Dismiss this message' }).click();

  expect(hub).toContain(`GET /test-org/truncated-bert/resolve/${COMMIT}/model.safetensors`);
  expect(hub).toContain(`GET /test-org/cut-bert/resolve/${COMMIT}/model.safetensors`);
  await expect(page.getByTestId('model-info')).toContainText('Universal Sentence Encoder Lite');
  await expectBundledStillWorks(page);
  // Nothing broken was cached: the verified small files are (a retry reuses them), the weights are not.
  const cachedUrls = await page.evaluate(async () => (await (await caches.open('rapt-lab-models-v1')).keys()).map((r) => r.url));
  expect(cachedUrls.filter((u) => u.endsWith('/config.json'))).toHaveLength(3);
  expect(cachedUrls.filter((u) => u.endsWith('.safetensors'))).toEqual([]);
  await expect(page.locator('[data-testid="cached-model"][data-model-id="test-org/broken-bert"]')).toBeVisible();
  expect(pageErrors).toEqual([]);
});

test('a second load of the same id comes from the browser cache with the network cut off; Delete removes it', async ({ page, context }) => {
  const pageErrors: string[] = [];
  await fakeHub(context, { 'test-org/tiny-bert': { served: fixtureFiles() } });
  await openApp(page, pageErrors);
  await loadFromHub(page, 'test-org/tiny-bert');
  await expectTinyBert(page, 'test-org/tiny-bert');
  await loadFinished(page);
  await expect(page.locator('[data-testid="cached-model"][data-model-id="test-org/tiny-bert"]')).toBeVisible();

  // Offline: every request to the Hub fails.
  await context.unrouteAll({ behavior: 'wait' });
  const aborted: string[] = [];
  await context.route('https://huggingface.co/**', (route) => {
    aborted.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  await page.reload();
  await expect(page.getByTestId('changed-count')).toBeVisible(SLOW);
  await loadFromHub(page, 'test-org/tiny-bert');
  await expectTinyBert(page, 'test-org/tiny-bert');
  await loadFinished(page);
  await expect(page.getByTestId('error-box')).toHaveCount(0);
  expect(aborted).toEqual([]);
  await expectPrivatizedWithBert(page);

  // Delete it from the cache: the list empties, and the next (offline) load must download and cannot.
  const row = page.locator('[data-testid="cached-model"][data-model-id="test-org/tiny-bert"]');
  await row.getByTestId('delete-cached').click();
  await expect(page.getByTestId('no-cached-models')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('changed-count')).toBeVisible(SLOW);
  await loadFromHub(page, 'test-org/tiny-bert');
  await expect(page.getByTestId('error-box')).toContainText('Could not reach huggingface.co', SLOW);
  await loadFinished(page);
  expect(aborted.length).toBeGreaterThan(0);
  await expect(page.getByTestId('model')).toContainText('Universal Sentence Encoder Lite');
  expect(pageErrors).toEqual([]);
});

test('loads a local folder; a folder or a drop without weights gives the missing-files message', async ({ page }) => {
  const pageErrors: string[] = [];
  await openApp(page, pageErrors);
  const errors = page.getByTestId('error-box');
  await page.getByTestId('model-source-local').check();

  // A folder without weights, picked.
  const dir = mkdtempSync(join(tmpdir(), 'rapt-model-'));
  const noWeights = join(dir, 'no-weights');
  mkdirSync(noWeights);
  for (const f of ['config.json', 'vocab.txt']) writeFileSync(join(noWeights, f), readFileSync(join(FIXTURE, f)));
  await page.getByTestId('model-folder-input').setInputFiles(noWeights);
  await expect(page.getByTestId('local-summary')).toContainText('no-weights (local folder): config.json, vocab.txt');
  await page.getByTestId('load-model').click();
  await expect(errors).toHaveCount(1, SLOW);
  await expect(errors).toContainText('no-weights (local folder) is not a complete BERT-family model. Missing: weights: model.safetensors');
  await loadFinished(page);
  await errors.getByRole('button', { name: 'Dismiss this message' }).click();

  // The same files dropped on the panel (plain files: a synthetic drop has no directory entries).
  const payload = ['config.json', 'tokenizer.json'].map((name) => ({ name, text: readFileSync(join(FIXTURE, name), 'utf8') }));
  const dataTransfer = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([f.text], f.name));
    return dt;
  }, payload);
  await page.getByTestId('model-drop-zone').dispatchEvent('drop', { dataTransfer });
  await expect(page.getByTestId('local-summary')).toContainText('2 local files: config.json, tokenizer.json');
  await page.getByTestId('load-model').click();
  await expect(errors).toHaveCount(1, SLOW);
  await expect(errors).toContainText('2 local files is not a complete BERT-family model. Missing: weights');
  await loadFinished(page);
  await errors.getByRole('button', { name: 'Dismiss this message' }).click();
  await expect(page.getByTestId('model')).toContainText('Universal Sentence Encoder Lite');

  // The fixture folder itself.
  await page.getByTestId('model-folder-input').setInputFiles(FIXTURE.replace(/\/$/, ''));
  await expect(page.getByTestId('local-summary')).toContainText('tiny-bert (local folder)');
  await page.getByTestId('load-model').click();
  await expectTinyBert(page, 'tiny-bert (local folder)');
  await loadFinished(page);
  await expectPrivatizedWithBert(page);
  await page.getByTestId('run-fill-mask').click();
  await expect(page.getByTestId('fill-mask-candidate')).toHaveCount(5, SLOW);
  await expect(errors).toHaveCount(0);

  // Back to the bundled model: the explorer works as before.
  await page.getByTestId('model-source-bundled').check();
  await page.getByTestId('load-model').click();
  await expect(page.getByTestId('model-info')).toContainText('Universal Sentence Encoder Lite', SLOW);
  await loadFinished(page);
  await expect(page.getByTestId('fill-mask-unavailable')).toBeVisible();
  await expectBundledStillWorks(page);
  expect(pageErrors).toEqual([]);
});
