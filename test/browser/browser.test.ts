/**
 * The built bundles with the WebAssembly kernels embedded. First in Node: the ESM and CJS builds
 * (built here with the project's tsup config, without declarations) are single files that load the
 * kernels with no extra file or loader. Then in a real browser: Debian's headless Chromium, driven by
 * puppeteer-core, loads `index.js` from a static server on 127.0.0.1, with an import map for the two
 * runtime dependencies, as a page without a bundler would.
 *
 * Loading is checked both ways: as this Chromium does it (it compiles the 25 KB module synchronously
 * on the main thread; older Chromium refused anything over 4 KB), and with that refusal simulated (`?refuse=4096` makes `new WebAssembly.Module` throw the
 * RangeError Chromium throws), where the page must see the JS kernels first and the WebAssembly ones
 * after `await ready()`. The page computes gradients with known values before and after, and proves
 * the WebAssembly kernels ran by a result only they give (float32 matmul accumulates in float32
 * there, in float64 in JS).
 *
 * A missing /usr/bin/chromium fails this test (`.ci/run` installs it); it is never skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import config from '../../tsup.config.js';

const root = join(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

mkdirSync(join(root, '.test-build'), { recursive: true });
const out = mkdtempSync(join(root, '.test-build', 'browser-'));

/** The page: an import map for the dependencies, then a module that reports its findings on `window.result`. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<script>
  // ?refuse=N: refuse synchronous compilation of modules over N bytes, as Chromium's main thread does
  const refuse = Number(new URLSearchParams(location.search).get('refuse') || Infinity);
  const SyncModule = WebAssembly.Module;
  WebAssembly.Module = function (bytes) {
    if (bytes.byteLength > refuse) throw new RangeError('WebAssembly.Compile is disallowed on the main thread, if the buffer size is larger than ' + refuse + ' bytes. Use WebAssembly.compile, or compile on a background thread.');
    return new SyncModule(bytes);
  };
</script>
<script type="importmap">
{ "imports": {
  "immer": "/node_modules/immer/dist/immer.production.mjs",
  "fp-ts/lib/Either.js": "/node_modules/fp-ts/es6/Either.js"
} }
</script>
<script type="module">
  window.result = (async () => {
    const lib = await import('./index.js');
    const { getBackend, ready, setBackend, grad, sum, square, tanh, matmul, mul, tensor, toTypedArray } = lib;
    const n = 512;
    const xs = Array.from({ length: n }, (_, i) => Math.sin(i) * 2);
    const x = tensor(xs);
    // d/dx sum(tanh(x)²) = 2 tanh(x) (1 - tanh(x)²)
    const gradTanh = () => Array.from(toTypedArray(grad((v) => sum(square(tanh(v))))(x)));
    // d/dW sum(X W) = Xᵀ 1: column sums of X, here 64 x 48 with X[i][k] = (i + k) % 7 - 3
    const X = tensor(Array.from({ length: 64 * 48 }, (_, j) => ((Math.floor(j / 48) + (j % 48)) % 7) - 3), { shape: [64, 48] });
    const W = tensor(Array.from({ length: 48 * 32 }, (_, j) => Math.cos(j)), { shape: [48, 32] });
    const gradMatmul = () => Array.from(toTypedArray(grad((w) => sum(matmul(X, w)))(W)));
    // float32: 2^24 + 1 - 2^24 is 0 when summed in float32 (WebAssembly), 1 in float64 (JS)
    const a = tensor(Array.from({ length: 64 * 3 }, () => 1), { shape: [64, 3], dtype: 'float32' });
    const col = [2 ** 24, 1, -(2 ** 24)];
    const b = tensor(Array.from({ length: 3 * 64 }, (_, i) => col[Math.floor(i / 64)]), { shape: [3, 64], dtype: 'float32' });
    const fingerprint = () => toTypedArray(matmul(a, b))[0];

    const before = { backend: getBackend(), tanh: gradTanh(), matmul: gradMatmul(), fingerprint: fingerprint() };
    const readyBackend = await ready();
    const after = { backend: getBackend(), tanh: gradTanh(), matmul: gradMatmul(), fingerprint: fingerprint() };
    setBackend('js');
    const forcedJs = { backend: getBackend(), fingerprint: fingerprint() };
    setBackend('wasm');
    return { xs, before, readyBackend, after, forcedJs, simd: typeof WebAssembly === 'object' };
  })().catch((e) => ({ error: String(e && e.stack || e) }));
</script>
`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

/** Serves the build folder at / and the two dependency packages under /node_modules, nothing else. */
function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const rel = normalize(url === '/' ? '/index.html' : url);
    let file = /^\/node_modules\/(immer|fp-ts)\//.test(rel) ? join(root, rel) : join(out, rel);
    // fp-ts's ES modules import './Apply' without an extension
    if (!existsSync(file) && existsSync(`${file}.js`)) file = `${file}.js`;
    if (rel.includes('..') || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the ESM bundle in headless Chromium', () => {
  let server: Server | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; .ci/run does this)`);
    const base = Array.isArray(config) ? config[0] : config;
    await build({ ...(base as object), format: ['esm', 'cjs'], dts: false, sourcemap: false, outDir: out, silent: true });
    writeFileSync(join(out, 'index.html'), PAGE);
    server = await serve();
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(out, { recursive: true, force: true });
  });

  /** Loads the page (with `query`) and returns what it found, failing on any page error. */
  async function visit(query: string): Promise<PageResult> {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    const { port } = server!.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/${query}`);
    await page.waitForFunction('window.result !== undefined');
    const r = (await page.evaluate('window.result')) as PageResult;
    await page.close();
    expect(errors).toEqual([]);
    expect(r.error).toBeUndefined();
    return r;
  }

  /** The gradients match their known values, and the WebAssembly kernels ran once ready() resolved. */
  function checkResults(r: PageResult): void {
    expect(r.readyBackend).toBe('wasm');
    expect(r.after.backend).toBe('wasm');
    // only the WebAssembly kernel sums float32 in float32
    expect(r.after.fingerprint).toBe(0);
    expect(r.forcedJs).toEqual({ backend: 'js', fingerprint: 1 });

    const wantTanh = r.xs.map((v) => 2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2));
    const colSums = Array.from({ length: 48 }, (_, k) => {
      let s = 0;
      for (let i = 0; i < 64; i++) s += ((i + k) % 7) - 3;
      return s;
    });
    const wantMatmul = Array.from({ length: 48 * 32 }, (_, j) => colSums[Math.floor(j / 32)]!);
    for (const run of [r.before, r.after]) {
      expect(run.tanh).toHaveLength(512);
      run.tanh.forEach((g, i) => {
        if (!(Math.abs(g - wantTanh[i]!) <= 1e-12 * Math.max(1, Math.abs(wantTanh[i]!)))) expect.fail(`${run.backend}: d tanh[${i}] = ${g}, want ${wantTanh[i]}`);
      });
      expect(run.matmul).toEqual(wantMatmul);
    }
  }

  it('the ESM and CJS builds are single files that run the WebAssembly kernels in Node', () => {
    expect(readdirSync(out).sort()).toEqual(['index.cjs', 'index.html', 'index.js']);
    // a vector gradient (d/dx sum(x²) = 2x) on the WebAssembly kernels, with the fingerprint above
    const program = (load: string): string =>
      `${load}; const x = lib.tensor(Array.from({ length: 100 }, (_, i) => i)); ` +
      `const g = lib.toTypedArray(lib.grad((v) => lib.sum(lib.square(v)))(x)); ` +
      `console.log(lib.getBackend(), g.every((v, i) => v === 2 * i))`;
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', program(`const lib = await import(${JSON.stringify(join(out, 'index.js'))})`)], { cwd: root });
    const cjs = execFileSync(process.execPath, ['-e', program(`const lib = require(${JSON.stringify(join(out, 'index.cjs'))})`)], { cwd: root });
    expect(esm.toString().trim()).toBe('wasm true');
    expect(cjs.toString().trim()).toBe('wasm true');
  });

  it('loads the module synchronously where Chromium allows it: WebAssembly from the first op', async () => {
    const r = await visit('');
    checkResults(r);
    expect(r.before.backend).toBe('wasm');
    expect(r.before.fingerprint).toBe(0);
  });

  it('where synchronous compilation is refused: JS kernels until ready(), then WebAssembly', async () => {
    const r = await visit('?refuse=4096');
    checkResults(r);
    expect(r.before.backend).toBe('js');
    expect(r.before.fingerprint).toBe(1);
  });
});

interface Run {
  readonly backend: string;
  readonly tanh: number[];
  readonly matmul: number[];
  readonly fingerprint: number;
}
interface PageResult {
  readonly error?: string;
  readonly xs: number[];
  readonly before: Run;
  readonly readyBackend: string;
  readonly after: Run;
  readonly forcedJs: { backend: string; fingerprint: number };
}
