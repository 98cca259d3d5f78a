/**
 * The package as users get it: `npm run build` (tsup) produces ESM, CJS and type declarations, and
 * both module formats load in Node and compute. Built into `.test-build/` inside the project (so
 * the dependencies resolve from node_modules), leaving `dist/` alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
mkdirSync(join(root, '.test-build'), { recursive: true });
const out = mkdtempSync(join(root, '.test-build', 'build-'));

describe('package', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'node_modules/tsup/dist/cli-default.js'), '--out-dir', out], { cwd: root, stdio: 'pipe' });
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('package.json points its exports map at the built files', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('adjoint');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.exports['.'].import.default).toBe('./dist/index.js');
    expect(pkg.exports['.'].require.default).toBe('./dist/index.cjs');
    for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('the ESM and CJS builds load in Node and differentiate', () => {
    const program = (load: string): string =>
      `${load}; const g = lib.grad((x) => lib.mul(x, x))(3); console.log(lib.item(g), lib.run(lib.Fail.either(lib.Checked.log(-1)))._tag)`;
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', program(`const lib = await import(${JSON.stringify(join(out, 'index.js'))})`)], { cwd: root });
    const cjs = execFileSync(process.execPath, ['-e', program(`const lib = require(${JSON.stringify(join(out, 'index.cjs'))})`)], { cwd: root });
    expect(esm.toString().trim()).toBe('6 Left');
    expect(cjs.toString().trim()).toBe('6 Left');
  });

  it('the declarations export the public types', () => {
    const dts = readFileSync(join(out, 'index.d.ts'), 'utf8');
    for (const name of ['Tensor', 'Program', 'grad', 'vjp', 'State', 'AdjointError']) expect(dts).toContain(name);
  });
});
