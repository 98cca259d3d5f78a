// `npm run check:package`: builds and packs the package as `npm publish` would, then lints the
// tarball with publint (package.json fields, exports, files) and @arethetypeswrong/cli (types resolve
// under every module resolution: node10, node16 CJS and ESM, bundler). Offline: both read the
// local tarball; attw is told not to fetch @types packages.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const dir = mkdtempSync(join(tmpdir(), 'adjoint-pack-'));
try {
  run('npm', ['run', '--silent', 'build']);
  run('npm', ['pack', '--silent', '--pack-destination', dir]);
  const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')));
  run(bin('publint'), ['run', tarball, '--strict']);
  run(bin('attw'), [tarball, '--no-definitely-typed', '--no-emoji', '--no-color']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
