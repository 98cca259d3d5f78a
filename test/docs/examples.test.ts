/**
 * Every `@example` in a doc comment under src/ is run here, against the library itself, so the
 * examples in the API docs cannot drift from the code. An example imports from 'adjoint' and
 * asserts with node's `assert`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as lib from '../../src/index.js';

const root = join(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The code of each `@example` block: the comment lines after the tag, up to the next tag or the end. */
function examples(text: string): string[] {
  const out: string[] = [];
  for (const comment of text.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const lines = comment.split('\n').map((l) => l.replace(/^\s*\/?\*+\/?\s?/, ''));
    let current: string[] | undefined;
    for (const line of lines) {
      if (line.startsWith('@example')) {
        current = [];
        out.push('');
      } else if (line.startsWith('@')) current = undefined;
      else if (current !== undefined) out[out.length - 1] += `${line}\n`;
    }
  }
  return out.filter((e) => e.trim().length > 0);
}

/** Strips types (examples may be TypeScript), then turns `import { a } from 'adjoint'` into a destructuring of the library object. */
function toRunnable(code: string): string {
  const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false } }).outputText;
  return js.replace(/import\s*\{([^}]*)\}\s*from\s*'adjoint'/g, (_, names: string) => `const {${names.replace(/\bas\b/g, ':')}} = lib`);
}

const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;

const files = sources(root);
const all = files.flatMap((f) => examples(readFileSync(f, 'utf8')).map((code, i) => ({ file: relative(root, f), i, code })));

describe('doc examples', () => {
  it('exist for the public surface', () => {
    expect(all.length).toBeGreaterThan(80);
  });
  for (const { file, i, code } of all) {
    it(`${file} #${i}`, async () => {
      expect(code).toMatch(/from 'adjoint'/);
      // an async function body, so an example may `await` (runPromise)
      await new AsyncFunction('lib', 'assert', toRunnable(code))(lib, assert);
    });
  }
});
