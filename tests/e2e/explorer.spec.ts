// The privacy explorer as a user meets it, against the production build (vite preview) on whatever WebGPU
// adapter the browser offers — SwiftShader on CI, so texts are short and grids small.
import { expect, test, type Page } from '@playwright/test';

const SLOW = { timeout: 150_000 };

/** Opens the explorer and waits until the model is loaded and the automatic first curve is done. */
async function openExplorer(page: Page, pageErrors: string[]) {
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('adapter')).not.toContainText('opening', SLOW);
  await expect(page.getByTestId('changed-count')).toBeVisible(SLOW);
  await expect(page.getByTestId('curve-status')).toContainText('done', SLOW);
}

/** Waits until the privatised text shown answers the current inputs (η and seed as given). */
async function privatizedFor(page: Page, eta: string, seed?: string): Promise<string> {
  const output = page.getByTestId('privatized-text');
  await expect(output).toHaveAttribute('data-eta', eta, SLOW);
  if (seed !== undefined) await expect(output).toHaveAttribute('data-seed', seed, SLOW);
  await expect(output).toHaveAttribute('data-pending', 'false', SLOW);
  return (await output.textContent()) ?? '';
}

async function changedCount(page: Page): Promise<{ changed: number; total: number }> {
  const text = (await page.getByTestId('changed-count').textContent()) ?? '';
  const m = /^(\d+) of (\d+) tokens? changed/.exec(text);
  expect(m, text).not.toBeNull();
  return { changed: Number(m![1]), total: Number(m![2]) };
}

test('privatises typed text, follows η and the seed, and draws the η curve', async ({ page }) => {
  const pageErrors: string[] = [];
  await openExplorer(page, pageErrors);
  await expect(page.getByTestId('adapter')).toContainText('·');

  // The automatic curve for the default text: an SVG with drawn lines.
  const plot = page.getByTestId('plot-unchanged');
  await expect(plot.locator('svg').first()).toBeVisible();
  expect(await plot.locator('svg path, svg line').count()).toBeGreaterThan(0);

  const text = 'The film was good.';
  await page.getByTestId('text-input').fill(text);

  // η very large: the noise is negligible, every token comes back as itself.
  await page.getByTestId('eta-input').fill('10000');
  expect((await privatizedFor(page, '10000')).trim()).toBe(text);
  await expect(page.getByTestId('privatized-text')).toHaveText(text);
  const calm = await changedCount(page);
  expect(calm.changed).toBe(0);
  expect(calm.total).toBeGreaterThanOrEqual(4);

  // η small: most tokens are replaced, and the table marks them.
  await page.getByTestId('eta-input').fill('3');
  await privatizedFor(page, '3');
  const noisy = await changedCount(page);
  expect(noisy.changed).toBeGreaterThan(noisy.total / 2);
  const table = page.getByTestId('token-table');
  await expect(table.locator('tbody tr')).toHaveCount(noisy.total);
  await expect(table.locator('tbody tr[data-changed="true"]')).toHaveCount(noisy.changed);

  // The slider and the exact input stay in sync.
  await expect(page.getByTestId('eta-slider')).toHaveValue('119'); // log10(3) / 4 · 1000

  // The same seed gives the same privatised text.
  const seed = page.getByTestId('seed-input');
  await seed.fill('7');
  const first = await privatizedFor(page, '3', '7');
  await seed.fill('8');
  await privatizedFor(page, '3', '8');
  await seed.fill('7');
  expect(await privatizedFor(page, '3', '7')).toBe(first);

  expect(pageErrors).toEqual([]);
});

test('computes curves for a dropped CSV file and reports its bad rows', async ({ page }) => {
  const pageErrors: string[] = [];
  await openExplorer(page, pageErrors);

  await page.getByTestId('source-corpus').check();
  await page.getByTestId('corpus-file-radio').check();
  const csv = 'label,sentence\n1,a warm and funny film\n0\n0,"slow, dull, too long"\n1,loved it\n';
  await page.getByTestId('corpus-file-input').setInputFiles({ name: 'tiny.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('text-column')).toHaveValue('sentence');
  await expect(page.getByTestId('bad-rows')).toContainText('1 bad row skipped (line 3: expected 2 fields, found 1)');

  await page.getByTestId('eta-grid').fill('4, abc');
  await expect(page.getByTestId('compute-curves')).toBeDisabled();
  await page.getByTestId('eta-grid').fill('5, 500');
  await page.getByTestId('draws').fill('2');
  await page.getByTestId('compute-curves').click();
  await expect(page.getByTestId('curve-status')).toContainText('done', SLOW);
  await expect(page.getByTestId('curve-label')).toContainText('tiny.csv (“sentence”): 3 of 3 texts');
  await expect(page.getByTestId('curve-table').locator('tbody tr')).toHaveCount(2);
  for (const id of ['plot-unchanged', 'plot-distance', 'plot-deniability']) {
    expect(await page.getByTestId(id).locator('svg path').count()).toBeGreaterThan(0);
  }
  await expect(page.getByTestId('error-box')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});
