/**
 * Every ```ts block in README.md is run here, against the library itself, and what it prints with
 * `console.log` is compared with the ```text block that follows it. The convention: a block that logs
 * is followed by a text block holding its exact output; a block that logs nothing has none. Blocks
 * import from 'adjoint' (mapped to src/index.ts) and may import fp-ts modules.
 *
 * The blocks are also type-checked as TypeScript against src/, under `strict` (noImplicitAny
 * included), so an example cannot rot into code a user's compiler would reject.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import * as fpApply from 'fp-ts/Apply';
import * as fpEither from 'fp-ts/Either';
import * as fpFunction from 'fp-ts/function';
import * as fpOption from 'fp-ts/Option';
import * as fpReadonlyArray from 'fp-ts/ReadonlyArray';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as lib from '../../src/index.js';

const root = join(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The modules a README block may import, by specifier. */
const modules: Readonly<Record<string, unknown>> = {
  adjoint: lib,
  'fp-ts/Apply': fpApply,
  'fp-ts/function': fpFunction,
  'fp-ts/Either': fpEither,
  'fp-ts/Option': fpOption,
  'fp-ts/ReadonlyArray': fpReadonlyArray,
};

interface Fence {
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence, for test names. */
  readonly line: number;
}

/** The fenced blocks of a markdown text, in order. */
function fences(text: string): Fence[] {
  const out: Fence[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    out.push({ lang: open[1]!, code: body.join('\n'), line: start + 1 });
  }
  return out;
}

interface Example {
  readonly line: number;
  readonly code: string;
  /** The text block right after the example, if any. */
  readonly expected: string | undefined;
}

const blocks = fences(readme);
const examples: Example[] = blocks.flatMap((b, i) =>
  b.lang === 'ts' ? [{ line: b.line, code: b.code, expected: blocks[i + 1]?.lang === 'text' ? blocks[i + 1]!.code : undefined }] : [],
);

/** Strips types, then turns each import into a destructuring of the module object it names. */
function toRunnable(code: string): string {
  const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false } }).outputText;
  return js
    .replace(/import\s*\*\s*as\s+(\w+)\s+from\s*'([^']+)';?/g, (_, name: string, spec: string) => `const ${name} = modules[${JSON.stringify(spec)}];`)
    .replace(/import\s*\{([^}]*)\}\s*from\s*'([^']+)';?/g, (_, names: string, spec: string) => `const {${names.replace(/\bas\b/g, ':')}} = modules[${JSON.stringify(spec)}];`);
}

/** An async function constructor, so a block may use top-level `await` (runPromise). */
const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;

/** Runs one block and returns what it printed, one `console.log` call per line, formatted as Node does. */
async function runExample(code: string): Promise<string> {
  const js = toRunnable(code);
  for (const m of js.matchAll(/modules\[("[^"]+")\]/g)) {
    const spec = JSON.parse(m[1]!) as string;
    if (!(spec in modules)) throw new Error(`README block imports ${spec}, which the README test does not provide`);
  }
  expect(js, 'an import the README test does not rewrite').not.toMatch(/^\s*import\s/m);
  const printed: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void printed.push(format(...args));
  try {
    await new AsyncFunction('modules', js)(modules);
  } finally {
    console.log = original;
  }
  return printed.join('\n');
}

/** Type-checks every block as its own module, with 'adjoint' resolved to src/index.ts. */
function typeErrors(): string[] {
  const files = new Map(examples.map((e) => [join(root, `readme-block-${e.line}.ts`), e.code]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    baseUrl: root,
    paths: { adjoint: ['src/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = ((exists) => (f: string) => files.has(f) || exists(f))(host.fileExists.bind(host));
  host.readFile = (f) => files.get(f) ?? readFile(f);
  host.getSourceFile = (f, lang, ...rest) => (files.has(f) ? ts.createSourceFile(f, files.get(f)!, lang) : getSourceFile(f, lang, ...rest));
  const program = ts.createProgram([...files.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && files.has(d.file.fileName))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const block = d.file!.fileName.replace(/.*readme-block-(\d+)\.ts$/, '$1');
      return `README.md:${Number(block) + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

describe('README examples', () => {
  it('exist', () => {
    expect(examples.length).toBeGreaterThan(30);
  });

  it('keep the install-and-test command CI runs', () => {
    expect(blocks.some((b) => b.lang === 'sh' && b.code.split('\n').includes('npm ci && npm test'))).toBe(true);
  });

  for (const { line, code, expected } of examples) {
    it(`README.md:${line} prints what the README says`, async () => {
      expect(code).toMatch(/from 'adjoint'/);
      const printed = await runExample(code);
      // a block that prints must show its output; a text block after a silent block would be unchecked prose
      expect(printed === '' ? undefined : printed).toBe(expected?.replace(/\n+$/, ''));
    });
  }

  it('type-check against the library', () => {
    expect(typeErrors()).toEqual([]);
  }, 60_000);
});
