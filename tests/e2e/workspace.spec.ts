// The experiment workspace as a user meets it, against the production build: runs stored in IndexedDB that
// survive a reload and resume, share links that reproduce an experiment in a fresh browser, hostile links,
// export → delete → import, and a sweep's trade-off plot. Experiments are tiny (inline texts, ≤ 5 sentences,
// no Bayes attack, 2–3 η values): WebGPU runs on SwiftShader here.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SLOW = { timeout: 150_000 };
const SCREENSHOTS = process.env.RAPT_SCREENSHOTS ?? tmpdir();
const TEXTS = ['The film was wonderful and warm.', 'A dull, lifeless plot with bad acting.', 'I loved every minute of it.'];

interface Builder {
  name?: string;
  /** Typed texts (default) or the bundled IMDB sentences. */
  corpus?: 'inline' | 'bundled';
  texts?: string[];
  etas: string;
  seeds: string;
  sampleSize?: number;
  draws?: number;
}

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Opens the app and waits for the engine (the Run button needs it). */
async function openApp(page: Page, path = '/') {
  await page.goto(path);
  await expect(page.getByTestId('adapter')).not.toContainText('opening', SLOW);
}

async function fillBuilder(page: Page, b: Builder) {
  await page.getByTestId('nav-experiments').click();
  if (b.name !== undefined) await page.getByTestId('input-name').fill(b.name);
  if (b.corpus === 'bundled') {
    await page.getByTestId('corpus-kind-bundled').check();
  } else {
    await page.getByTestId('corpus-kind-inline').check();
    await page.getByTestId('input-corpus.texts').fill((b.texts ?? TEXTS).join('\n'));
  }
  await page.getByTestId('input-etas').fill(b.etas);
  await page.getByTestId('input-seeds').fill(b.seeds);
  await page.getByTestId('input-sampleSize').fill(String(b.sampleSize ?? 3));
  await page.getByTestId('input-draws').fill(String(b.draws ?? 1));
  await expect(page.getByTestId('input-attacks.bayes.enabled')).not.toBeChecked();
  await expect(page.getByTestId('field-error')).toHaveCount(0);
}

async function run(page: Page) {
  await expect(page.getByTestId('run-experiment')).toBeEnabled(SLOW);
  await page.getByTestId('run-experiment').click();
}

async function privatizedSamples(page: Page): Promise<string[]> {
  const cells = page.getByTestId('privatized-sample');
  return cells.allTextContents();
}

test('a run survives a reload: it is marked interrupted with its finished η values, and resumes to the end', async ({ page }) => {
  const errors = watchErrors(page);
  await openApp(page);
  // Enough work per η (draws) that the reload lands between two η values: seconds per η on SwiftShader. (On a
  // fast GPU the run could end before the reload; the status check below would then fail, not pass vacuously.)
  await fillBuilder(page, { name: 'reload test', etas: '4, 40, 400', seeds: '11', sampleSize: 3, draws: 32 });
  await run(page);
  await expect(page.getByTestId('run-detail')).toBeVisible();
  await expect(page.getByTestId('run-eta-progress')).toHaveText(/^[12] of 3 η$/, SLOW);

  await page.reload();
  await expect(page.getByTestId('adapter')).not.toContainText('opening', SLOW);
  await page.getByTestId('nav-runs').click();
  await expect(page.getByTestId('recovered')).toContainText('1 interrupted run');
  const row = page.getByTestId('run-row');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-status', 'interrupted');
  const kept = (await row.getByTestId('run-progress-cell').textContent()) ?? '';
  expect(kept).toMatch(/^[12] of 3 η$/);

  await row.getByTestId('open-run').click();
  await expect(page.getByTestId('run-status')).toHaveText('interrupted');
  await expect(page.getByTestId('run-plot-attacks').locator('svg circle').first()).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-workspace-interrupted.png'), fullPage: true });

  await page.getByTestId('resume-run').click();
  await expect(page.getByTestId('run-status')).toHaveText('done', SLOW);
  await expect(page.getByTestId('run-eta-progress')).toHaveText('3 of 3 η');
  await expect(page.getByTestId('curve-table').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('privatized-sample')).toHaveCount(3);
  await expect(page.getByTestId('run-environment')).toContainText('app version');
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-workspace-run-detail.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('a share link opened in a fresh browser reproduces the spec and, with the same seed, the same privatised text', async ({ page, browser }) => {
  const errors = watchErrors(page);
  await openApp(page);
  const hostileName = '<img src=x onerror="window.__pwned=1"> shared';
  // A link never carries data: typed texts get no link, with the reason.
  await fillBuilder(page, { name: hostileName, etas: '6, 60', seeds: '5', sampleSize: 2, draws: 1 });
  await page.getByTestId('copy-link').click();
  await expect(page.getByTestId('share-problem')).toContainText('never your data');
  await expect(page.getByTestId('share-link')).toHaveCount(0);
  // The bundled corpus: the link carries the spec, and the seed picks the same sample and noise.
  await fillBuilder(page, { name: hostileName, corpus: 'bundled', etas: '6, 60', seeds: '5', sampleSize: 2, draws: 1 });
  await page.getByTestId('copy-link').click();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toMatch(/#spec=1\.[A-Za-z0-9_-]+$/);
  await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('done', SLOW);
  const original = await privatizedSamples(page);
  expect(original).toHaveLength(2);

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  const otherErrors = watchErrors(other);
  await openApp(other, link);
  await expect(other.getByTestId('link-opened')).toBeVisible();
  await expect(other.getByTestId('input-name')).toHaveValue(hostileName);
  await expect(other.getByTestId('input-etas')).toHaveValue('6, 60');
  await expect(other.getByTestId('input-seeds')).toHaveValue('5');
  await expect(other.getByTestId('input-sampleSize')).toHaveValue('2');
  await expect(other.getByTestId('corpus-kind-bundled')).toBeChecked();
  // Opening a link runs nothing.
  await expect(other.getByTestId('nav-runs-count')).toHaveText('0');
  await other.screenshot({ path: join(SCREENSHOTS, 'rapt-workspace-link-opened.png'), fullPage: true });

  await run(other);
  await expect(other.getByTestId('run-status')).toHaveText('done', SLOW);
  await expect(other.getByTestId('run-name')).toHaveText(`${hostileName} · seed 5`);
  expect(await privatizedSamples(other)).toEqual(original);
  expect(await other.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await other.locator('img[src="x"]').count()).toBe(0);
  expect(otherErrors).toEqual([]);
  expect(errors).toEqual([]);
  await fresh.close();
});

test('hostile and corrupt links give an error view, never markup, code or a crash', async ({ page }) => {
  const errors = watchErrors(page);
  await openApp(page, '/');
  const valid = await (async () => {
    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('copy-link').click();
    return new URL(await page.getByTestId('share-link').inputValue()).hash;
  })();
  // A few fixed shapes and some seeded random mutations of a valid link.
  let state = 12345;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const mutate = (s: string) => {
    const chars = [...s];
    const at = 8 + Math.floor(random() * (chars.length - 8));
    chars[at] = 'ABCxyz019-_'[Math.floor(random() * 11)];
    return chars.join('');
  };
  const hashes = [
    '#spec=',
    '#spec=1.',
    '#spec=9.AAAA',
    '#spec=1.<script>alert(1)</script>',
    `#spec=1.${encodeURIComponent('"><img src=x onerror=alert(1)>')}`,
    '#spec=1.eJyrVkrOz0nNS8_Lt1IqSsxLTlWyUkrOTy4tSk0tSaxMzSvOL0rRSy4tSi1RsgIAoKgKNQ',
    `#spec=1.${'A'.repeat(20_000)}`,
    valid.slice(0, valid.length - 5),
    mutate(valid),
    mutate(valid),
    mutate(valid),
  ];
  for (const hash of hashes) {
    await page.goto(`/${hash}`);
    await expect(page.getByTestId('experiment-builder')).toBeVisible();
    const outcome = page.getByTestId('link-error').or(page.getByTestId('link-opened'));
    await expect(outcome).toBeVisible();
    if (await page.getByTestId('link-error').isVisible()) {
      await expect(page.getByTestId('link-error')).toContainText('This link cannot be opened');
    }
    expect(await page.locator('img[src="x"], main script').count()).toBe(0);
  }
  await page.goto('/#spec=1.<script>alert(1)</script>');
  await expect(page.getByTestId('link-error')).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-workspace-bad-link.png'), fullPage: true });
  // The app still works: the builder holds the default experiment, which can run.
  await expect(page.getByTestId('run-experiment')).toBeEnabled(SLOW);
  expect(errors).toEqual([]);
});

test('export → delete → import restores the runs; malformed files are refused with a message', async ({ page }) => {
  const errors = watchErrors(page);
  await openApp(page);
  await fillBuilder(page, { name: 'export test', etas: '7, 70', seeds: '1, 2', sampleSize: 2, draws: 1 });
  await run(page);
  const rows = page.getByTestId('run-row');
  await expect(rows).toHaveCount(2);
  await expect(page.locator('[data-testid="run-row"][data-status="done"]')).toHaveCount(2, SLOW);
  const ids = (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).sort();

  // Rename and tag one run: the export carries it.
  await rows.first().getByTestId('rename-run').click();
  await page.getByTestId('rename-input').fill('renamed run');
  await page.getByTestId('rename-input').press('Enter');
  await expect(page.getByTestId('open-run').filter({ hasText: 'renamed run' })).toHaveCount(1);

  await page.getByTestId('select-all').uncheck();
  const csvDownload = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const csv = readFileSync((await (await csvDownload).path())!, 'utf8');
  expect(csv.split('\r\n')[0]).toContain('spec.etas');
  expect(csv.split('\r\n').filter(Boolean)).toHaveLength(3);

  const jsonDownload = page.waitForEvent('download');
  await page.getByTestId('export-json').click();
  const download = await jsonDownload;
  const file = join(tmpdir(), `rapt-export-${Date.now()}.json`);
  await download.saveAs(file);
  expect(JSON.parse(readFileSync(file, 'utf8')).runs).toHaveLength(2);

  // Delete with undo, then delete for good.
  await page.getByTestId('select-all').check();
  await page.getByTestId('delete-selected').click();
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  await page.getByTestId('undo-delete').click();
  await expect(rows).toHaveCount(2);
  await page.getByTestId('select-all').check();
  await page.getByTestId('delete-selected').click();
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  // Gone from storage too: a reload shows none.
  await page.reload();
  await page.getByTestId('nav-runs').click();
  await expect(page.getByTestId('runs-empty')).toBeVisible();

  // A malformed file is refused as a whole, with a message.
  await page.getByTestId('import-json').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"rapt-lab-runs","version":1,"runs":[{"id":"run-x"}]}') });
  await expect(page.getByTestId('error-box')).toContainText('The file was not imported');
  await expect(page.getByTestId('runs-empty')).toBeVisible();

  await page.getByTestId('import-json').setInputFiles(file);
  await expect(page.getByTestId('runs-notice')).toContainText('Imported 2 runs');
  await expect(rows).toHaveCount(2);
  expect((await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).sort()).toEqual(ids);
  await expect(page.locator('[data-testid="run-row"][data-status="done"]')).toHaveCount(2);
  await expect(page.getByTestId('open-run').filter({ hasText: 'renamed run' })).toHaveCount(1);
  // And they are stored: still there after a reload, with their results.
  await page.reload();
  await page.getByTestId('nav-runs').click();
  await expect(rows).toHaveCount(2);
  await page.getByTestId('open-run').filter({ hasText: 'renamed run' }).click();
  await expect(page.getByTestId('curve-table').locator('tbody tr')).toHaveCount(2);
  expect(errors).toEqual([]);
});

test('a sweep of 3 η × 2 seeds runs one after another and yields trade-off plots with error bars over seeds', async ({ page }) => {
  const errors = watchErrors(page);
  await openApp(page);
  await fillBuilder(page, { name: 'sweep', etas: '5, 50, 500', seeds: '1, 2', sampleSize: 3, draws: 2 });
  await expect(page.getByTestId('planned-summary')).toContainText('2 runs × 3 η values');
  await run(page);
  await expect(page.getByTestId('runs-view')).toBeVisible();
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  await expect(page.locator('[data-testid="run-row"][data-status="done"]')).toHaveCount(2, SLOW);
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-workspace-runs-table.png'), fullPage: true });

  // The sweep's runs are selected: the trade-off plots group the two seeds into one condition.
  await page.getByTestId('tradeoff-selected').click();
  await expect(page.getByTestId('tradeoff-view')).toBeVisible();
  await expect(page.getByTestId('utility-proxy-note')).toContainText('utility proxy until training runs exist');
  await expect(page.getByTestId('tradeoff-groups').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('tradeoff-groups').locator('tbody tr td').nth(1)).toHaveText('2');
  for (const id of ['plot-utility-eta', 'plot-attack-eta', 'plot-tradeoff']) {
    const plot = page.getByTestId(id);
    await expect(plot.locator('svg').first()).toBeVisible();
    expect(await plot.locator('svg circle').count()).toBeGreaterThanOrEqual(3);
    expect(await plot.locator('svg line').count()).toBeGreaterThan(3);
  }
  await page.getByTestId('tradeoff-view').locator('details.numbers summary').click();
  await expect(page.getByTestId('tradeoff-numbers').locator('tbody tr')).toHaveCount(3);
  const svgDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: /Download “Utility vs attack success.*” as SVG/ }).click();
  expect((await svgDownload).suggestedFilename()).toMatch(/\.svg$/);
  const pngDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: /Download “Utility vs attack success.*” as PNG/ }).click();
  expect((await pngDownload).suggestedFilename()).toMatch(/\.png$/);
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-workspace-tradeoff.png'), fullPage: true });

  // Compare: the two runs differ only in their seed.
  await page.getByTestId('runs-tab-compare').click();
  await expect(page.getByTestId('compare-view')).toBeVisible();
  await page.getByTestId('only-differences').check();
  await expect(page.getByTestId('spec-diff-row')).toHaveCount(1);
  await expect(page.getByTestId('spec-diff-row')).toHaveAttribute('data-field', 'seed');
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-workspace-compare.png'), fullPage: true });
  expect(errors).toEqual([]);
});

// ── training runs ─────────────────────────────────────────────────────────────────────────────────────────
// A tiny RAPT training on the bundled sentences (16 examples in batches of 8, short texts, a 2-vector prompt,
// 2 plain tokens, an 8-wide reconstruction head): 12 steps over 6 epochs with a checkpoint every 2, so a
// reload lands after a checkpoint and before the end even on SwiftShader.

interface StoredPoint {
  step: number;
  at: string;
}

/** The run's learning-curve history as stored in IndexedDB (what a reload reads back). */
async function storedHistory(page: Page, id: string): Promise<StoredPoint[]> {
  return page.evaluate(
    (key) =>
      new Promise<StoredPoint[]>((resolve, reject) => {
        const open = indexedDB.open('rapt-lab-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('runs').objectStore('runs').get(key);
          get.onerror = () => reject(get.error);
          get.onsuccess = () => {
            resolve((get.result?.history ?? []).map((h: StoredPoint) => ({ step: h.step, at: h.at })));
            open.result.close();
          };
        };
      }),
    `run/${id}`,
  );
}

test('a train run queued from the builder shows progress and loss curves, survives a reload, resumes from its checkpoint and finishes with an accuracy', async ({ page }) => {
  const errors = watchErrors(page);
  await openApp(page);
  await page.getByTestId('nav-experiments').click();
  await expect(page.getByTestId('train-demo')).toBeVisible();
  await page.getByTestId('kind-train').check();
  await expect(page.getByTestId('kind-help')).toContainText('Prompt-tune');
  // The train form comes from the schema, with the demo's settings filled in.
  await expect(page.getByTestId('input-condition')).toHaveValue('rapt');
  await expect(page.getByTestId('data.train-kind-bundled')).toBeChecked();
  await expect(page.getByTestId('data.dev-kind-none')).toBeChecked();
  await page.getByTestId('input-name').fill('tiny train');
  await page.getByTestId('input-eta').fill('20');
  await page.getByTestId('input-data.trainSize').fill('16');
  await page.getByTestId('input-data.devSize').fill('8');
  await page.getByTestId('input-seeds').fill('3');
  await page.getByTestId('input-prompt.length').fill('2');
  await page.getByTestId('input-rapt.plainTokens').fill('2');
  await page.getByTestId('input-rapt.width').fill('8');
  await page.getByTestId('input-training.epochs').fill('6');
  await page.getByTestId('input-training.batchSize').fill('8');
  await page.getByTestId('input-training.maxTokens').fill('12');
  await expect(page.getByTestId('field-error')).toHaveCount(0);
  await expect(page.getByTestId('planned-summary')).toContainText('1 run: rapt at η 20, 6 epochs');
  await run(page);

  const detail = page.getByTestId('run-detail');
  await expect(detail).toHaveAttribute('data-kind', 'train');
  const id = (await detail.getAttribute('data-id'))!;
  await expect(page.getByTestId('train-step')).toHaveText(/^step \d+ of 12/, SLOW);
  await expect(page.getByTestId('run-plot-loss').locator('svg circle').first()).toBeVisible();
  // A checkpoint (every 2 steps) before the end: reload there.
  await expect(page.getByTestId('train-checkpoint')).toHaveAttribute('data-step', /^(2|4|6|8)$/, SLOW);
  const reloadedAt = new Date().toISOString();
  const checkpointStep = Number(await page.getByTestId('train-checkpoint').getAttribute('data-step'));
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-workspace-train-running.png'), fullPage: true });
  await page.reload();
  await expect(page.getByTestId('adapter')).not.toContainText('opening', SLOW);
  await page.getByTestId('nav-runs').click();
  await expect(page.getByTestId('recovered')).toContainText('1 interrupted run');
  const row = page.locator(`[data-testid="run-row"][data-id="${id}"]`);
  await expect(row).toHaveAttribute('data-status', 'interrupted');
  await expect(row.getByTestId('run-kind-cell')).toHaveText('train');
  await expect(row.getByTestId('run-eta-cell')).toHaveText('20');
  await row.getByTestId('open-run').click();
  await expect(page.getByTestId('run-status')).toHaveText('interrupted');
  await expect(page.getByTestId('run-interrupted')).toContainText('checkpoint at step');
  // The curves come back from the stored history.
  await expect(page.getByTestId('run-plot-loss').locator('svg circle').first()).toBeVisible();
  const checkpointNow = Number(await page.getByTestId('train-checkpoint').getAttribute('data-step'));
  expect(checkpointNow).toBeGreaterThanOrEqual(checkpointStep);

  await page.getByTestId('resume-run').click();
  await expect(page.getByTestId('run-status')).toHaveText('done', SLOW);
  await expect(page.getByTestId('final-accuracy')).toHaveText(/^\d+\.\d%$/);
  await expect(page.getByTestId('final-steps')).toContainText('12 on 16 training examples');
  await expect(page.getByTestId('final-plain-tokens').locator('.plain-token')).toHaveCount(2);
  await expect(page.getByTestId('run-plot-accuracy').locator('svg circle').first()).toBeVisible();
  // Resumed, not restarted: the points up to the checkpoint are the ones saved before the reload.
  const history = await storedHistory(page, id);
  expect(history.map((h) => h.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  for (const h of history.filter((p) => p.step <= checkpointNow)) expect(h.at < reloadedAt).toBe(true);
  await page.screenshot({ path: join(SCREENSHOTS, 'rapt-workspace-train-done.png'), fullPage: true });

  // Stored: a reload shows the finished run with its accuracy in the table and on its page.
  const accuracy = await page.getByTestId('final-accuracy').textContent();
  await page.reload();
  await page.getByTestId('nav-runs').click();
  await expect(row).toHaveAttribute('data-status', 'done');
  await expect(row.getByTestId('run-accuracy-cell')).toHaveText(accuracy!);
  await row.getByTestId('open-run').click();
  await expect(page.getByTestId('final-accuracy')).toHaveText(accuracy!);
  expect(errors).toEqual([]);
});
