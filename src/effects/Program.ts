/**
 * `Program<A, E>`: a description of a computation that returns `A` and may perform the effects in the
 * union `E` (string tags: `'State' | 'Random' | 'Log' | 'Observe' | 'Fail' | 'IO'`). Nothing runs
 * until `run`, which accepts only `Program<A, never>`: every effect must have been discharged by its
 * handler first, and each handler removes exactly its tag (`Program<A, E | T> -> Program<A, E>`).
 *
 * A program is a tree of nodes interpreted by one loop with an explicit continuation stack, so deep
 * programs (a million binds, a generator with a million `yield*`) run in constant JS stack. Handlers
 * are frames on that stack holding their own state; an effect request finds the innermost handler of
 * its tag, which resumes with a value or aborts to its own frame (`Fail`).
 *
 * Transforms (`grad`, `jvp`, ...) given a function that returns a program produce a program too: a
 * `Transform` node that opens its trace when interpreted and closes it when the inner program
 * returns, so the inner program's effects reach handlers installed outside the transform.
 *
 * @since 0.1.0
 */
import type { Applicative2 } from 'fp-ts/Applicative';
import type { Apply2 } from 'fp-ts/Apply';
import type { Chain2 } from 'fp-ts/Chain';
import type { Functor2 } from 'fp-ts/Functor';
import type { Monad2 } from 'fp-ts/Monad';
import { AdjointError } from '../core/errors.js';

/**
 * The effect tags a program may carry.
 *
 * @category effects
 * @since 0.1.0
 */
export type EffectTag = 'State' | 'Random' | 'Log' | 'Observe' | 'Fail' | 'IO';

/** @internal The interpreter's node types. */
export type Node =
  | { readonly _tag: 'Pure'; readonly value: unknown }
  | { readonly _tag: 'Sync'; readonly thunk: () => unknown }
  | { readonly _tag: 'Defer'; readonly thunk: () => Program<unknown, unknown> }
  | { readonly _tag: 'FlatMap'; readonly first: Program<unknown, unknown>; readonly k: (a: unknown) => Program<unknown, unknown> }
  | { readonly _tag: 'Perform'; readonly effect: string; readonly op: string; readonly payload: unknown }
  | { readonly _tag: 'Handle'; readonly program: Program<unknown, unknown>; readonly handler: Handler<unknown> }
  | { readonly _tag: 'Transform'; readonly start: () => TransformScope };

/** @internal What a transform node does when interpreted: its program, and how to close and finish. */
export interface TransformScope {
  readonly program: Program<unknown, unknown>;
  /** Closes the trace; called exactly once, also when the program aborts or throws. */
  close(): void;
  /** Replaces the transform's own tracers by their primals (applied to handler states outside it). */
  lower(value: unknown): unknown;
  /** Computes the transform's result from the program's result (after `close`). */
  finish(value: unknown): unknown;
}

/** @internal A handler's answer to one effect request. */
export type HandlerResult<S> = { readonly _tag: 'Resume'; readonly value: unknown; readonly state: S } | { readonly _tag: 'Abort'; readonly error: unknown };

/** @internal A handler: discharges one effect tag, with state private to one interpretation. */
export interface Handler<S> {
  readonly effect: EffectTag;
  init(): S;
  handle(op: string, payload: unknown, state: S): HandlerResult<S>;
  onReturn(value: unknown, state: S): unknown;
  onAbort(error: unknown, state: S): unknown;
  /** Maps the tensors held in the state (see `TransformScope.lower`). */
  lower?(state: S, f: (value: unknown) => unknown): S;
}

const ProgramTypeId: unique symbol = Symbol.for('adjoint/Program');

/**
 * A description of a computation returning `A` with effects `E`. Build with `Program.of`,
 * `Program.gen`, effect constructors (`State.get`, `Random.normal`, ...) and combinators; run with
 * handlers and `run`.
 *
 * @example
 * import { Program, run } from 'adjoint'
 * const p = Program.map(Program.of(2), (n) => n * 21)
 * assert.equal(run(p), 42)
 *
 * @category effects
 * @since 0.1.0
 */
export interface Program<A, E = never> {
  readonly [ProgramTypeId]: { readonly _A: () => A; readonly _E: () => E };
  /** @internal */
  readonly node: Node;
  [Symbol.iterator](): Generator<Program<A, E>, A, unknown>;
}

class ProgramImpl {
  readonly [ProgramTypeId] = undefined as never;
  constructor(readonly node: Node) {}
  *[Symbol.iterator](): Generator<unknown, unknown, unknown> {
    // `yield* program` inside Program.gen: hand the program to the driver, receive its result
    return yield this;
  }
}

const make = <A, E>(node: Node): Program<A, E> => new ProgramImpl(node) as unknown as Program<A, E>;

/** True for programs. */
export function isProgram(u: unknown): u is Program<unknown, unknown> {
  return u instanceof ProgramImpl;
}

// ---- constructors and combinators ----------------------------------------------------------------

/** A program that returns `a` and performs nothing. */
export const of = <A>(a: A): Program<A, never> => make({ _tag: 'Pure', value: a });

/** A program that computes `thunk()` when run (pure code, deferred). */
export const sync = <A>(thunk: () => A): Program<A, never> => make({ _tag: 'Sync', thunk });

/** A program built lazily, when run. */
export const defer = <A, E>(thunk: () => Program<A, E>): Program<A, E> => make({ _tag: 'Defer', thunk: thunk as () => Program<unknown, unknown> });

/** Sequencing: run `p`, then the program `k` makes from its result. */
export const flatMap = <A, E, B, E2>(p: Program<A, E>, k: (a: A) => Program<B, E2>): Program<B, E | E2> =>
  make({ _tag: 'FlatMap', first: p as Program<unknown, unknown>, k: k as (a: unknown) => Program<unknown, unknown> });

/** Alias of `flatMap`, fp-ts style. */
export const chain = flatMap;

/** Applies `f` to the result. */
export const map = <A, E, B>(p: Program<A, E>, f: (a: A) => B): Program<B, E> => flatMap(p, (a) => of(f(a)));

/** Applies a program's function to another program's value (left to right). */
export const ap = <A, E, B, E2>(pf: Program<(a: A) => B, E>, pa: Program<A, E2>): Program<B, E | E2> => flatMap(pf, (f) => map(pa, f));

/** Runs `f` for its effects and keeps the original result. */
export const tap = <A, E, E2>(p: Program<A, E>, f: (a: A) => Program<unknown, E2>): Program<A, E | E2> => flatMap(p, (a) => map(f(a), () => a));

type EffectsOf<T> = T extends Program<unknown, infer E> ? E : never;
type ValueOf<T> = T extends Program<infer A, unknown> ? A : never;

/** Runs programs in order and collects their results: an array of programs, or a record of programs. */
export function all<const T extends ReadonlyArray<Program<unknown, unknown>>>(
  programs: T,
): Program<{ -readonly [K in keyof T]: ValueOf<T[K]> }, EffectsOf<T[number]>>;
export function all<T extends Readonly<Record<string, Program<unknown, unknown>>>>(
  programs: T,
): Program<{ readonly [K in keyof T]: ValueOf<T[K]> }, EffectsOf<T[keyof T]>>;
export function all(programs: ReadonlyArray<Program<unknown, unknown>> | Readonly<Record<string, Program<unknown, unknown>>>): Program<unknown, unknown> {
  if (Array.isArray(programs)) {
    return traverse(programs as ReadonlyArray<Program<unknown, unknown>>, (p) => p);
  }
  const keys = Object.keys(programs);
  const record = programs as Readonly<Record<string, Program<unknown, unknown>>>;
  return map(
    traverse(keys, (k) => record[k]!),
    (values) => Object.freeze(Object.fromEntries(keys.map((k, i) => [k, values[i]]))),
  );
}

/** Maps each element to a program and runs them in order, collecting the results. */
export function traverse<T, B, E>(items: ReadonlyArray<T>, f: (item: T, index: number) => Program<B, E>): Program<ReadonlyArray<B>, E> {
  return defer(() => {
    const out: B[] = [];
    let p: Program<void, E> = of(undefined);
    items.forEach((item, i) => {
      p = flatMap(p, () => map(f(item, i), (b) => void (out[i] = b)));
    });
    return map(p, () => Object.freeze(out.slice()) as ReadonlyArray<B>);
  });
}

/**
 * Generator do-notation: inside, `yield*` runs an effect or sub-program and gives its result; pure
 * tensor ops are called directly. The effects of everything yielded accumulate in the type.
 */
export function gen<Y extends Program<unknown, unknown>, A>(body: () => Generator<Y, A, unknown>): Program<A, EffectsOf<Y>> {
  return defer(() => {
    const it = body();
    const step = (input: unknown): Program<unknown, unknown> => {
      const r = it.next(input);
      return r.done ? of(r.value) : flatMap(r.value as Program<unknown, unknown>, step);
    };
    return step(undefined);
  }) as Program<A, EffectsOf<Y>>;
}

/** @internal An effect request, answered by the innermost handler of `effect`. */
export const perform = <A, E extends EffectTag>(effect: E, op: string, payload: unknown): Program<A, E> => make({ _tag: 'Perform', effect, op, payload });

/** @internal Installs a handler around `p`. */
export const handle = <A, E, B, T extends EffectTag>(p: Program<A, E>, handler: Handler<unknown>): Program<B, Exclude<E, T>> =>
  make({ _tag: 'Handle', program: p as Program<unknown, unknown>, handler });

/** @internal A transform over a program (see the module comment). */
export const transformNode = <A, E>(start: () => TransformScope): Program<A, E> => make({ _tag: 'Transform', start });

// ---- the interpreter -------------------------------------------------------------------------------

interface HandlerFrame {
  readonly kind: 'handler';
  readonly handler: Handler<unknown>;
  state: unknown;
}
interface TransformFrame {
  readonly kind: 'transform';
  readonly scope: TransformScope;
  closed: boolean;
}
type Frame = ((a: unknown) => Program<unknown, unknown>) | HandlerFrame | TransformFrame;

function closeScope(frame: TransformFrame, handlers: ReadonlyArray<HandlerFrame>): void {
  if (frame.closed) return;
  frame.closed = true;
  frame.scope.close();
  // handler states outside the transform must not keep its tracers
  for (const h of handlers) {
    if (h.handler.lower !== undefined) h.state = h.handler.lower(h.state, (v) => frame.scope.lower(v));
  }
}

function interpret(program: Program<unknown, unknown>): unknown {
  const stack: Frame[] = [];
  const handlers: HandlerFrame[] = [];
  let current: Node | undefined = program.node;
  let value: unknown;
  try {
    for (;;) {
      if (current !== undefined) {
        const node: Node = current;
        current = undefined;
        switch (node._tag) {
          case 'Pure':
            value = node.value;
            break;
          case 'Sync':
            value = node.thunk();
            break;
          case 'Defer':
            current = node.thunk().node;
            continue;
          case 'FlatMap':
            stack.push(node.k);
            current = node.first.node;
            continue;
          case 'Handle': {
            const frame: HandlerFrame = { kind: 'handler', handler: node.handler, state: node.handler.init() };
            stack.push(frame);
            handlers.push(frame);
            current = node.program.node;
            continue;
          }
          case 'Transform': {
            const scope = node.start();
            stack.push({ kind: 'transform', scope, closed: false });
            current = scope.program.node;
            continue;
          }
          case 'Perform': {
            let frame: HandlerFrame | undefined;
            for (let i = handlers.length - 1; i >= 0; i--) {
              if (handlers[i]!.handler.effect === node.effect) {
                frame = handlers[i];
                break;
              }
            }
            if (frame === undefined) {
              throw new AdjointError(
                'UNHANDLED_EFFECT',
                `${node.effect}.${node.op}`,
                `no handler for the ${node.effect} effect; wrap the program with its handler (e.g. ${handlerHint(node.effect)}) before run`,
              );
            }
            const r = frame.handler.handle(node.op, node.payload, frame.state);
            if (r._tag === 'Resume') {
              frame.state = r.state;
              value = r.value;
              break;
            }
            // abort: unwind to the handler's frame, closing transforms on the way
            for (;;) {
              const top = stack.pop()!;
              if (typeof top === 'function') continue;
              if (top.kind === 'handler') handlers.pop();
              else closeScope(top, handlers);
              if (top === frame) break;
            }
            value = frame.handler.onAbort(r.error, frame.state);
            break;
          }
        }
      }
      const top = stack.pop();
      if (top === undefined) return value;
      if (typeof top === 'function') {
        current = top(value).node;
      } else if (top.kind === 'handler') {
        handlers.pop();
        value = top.handler.onReturn(value, top.state);
      } else {
        closeScope(top, handlers);
        value = top.scope.finish(value);
      }
    }
  } finally {
    // a programmer error escaped: leave no trace open
    for (let i = stack.length - 1; i >= 0; i--) {
      const f = stack[i]!;
      if (typeof f !== 'function' && f.kind === 'transform' && !f.closed) {
        f.closed = true;
        f.scope.close();
      }
    }
  }
}

function handlerHint(effect: string): string {
  switch (effect) {
    case 'State':
      return 'State.run(initial)';
    case 'Random':
      return 'Random.run(random.key(0))';
    case 'Log':
      return 'Log.collect';
    case 'Observe':
      return 'Observe.run';
    case 'Fail':
      return 'Fail.either';
    default:
      return 'IO.run';
  }
}

/**
 * Runs a program whose effects have all been handled. A program with an unhandled effect does not
 * type-check.
 *
 * @example
 * import { Program, run } from 'adjoint'
 * assert.equal(run(Program.of(1)), 1)
 *
 * @category effects
 * @since 0.1.0
 */
export function run<A>(program: Program<A, never>): A {
  return interpret(program as Program<unknown, unknown>) as A;
}

// ---- fp-ts instances -------------------------------------------------------------------------------

/** The fp-ts URI of `Program`: `Kind2<URI, E, A> = Program<A, E>`. */
export const URI = 'adjoint/Program';
export type URI = typeof URI;

declare module 'fp-ts/HKT' {
  interface URItoKind2<E, A> {
    readonly [URI]: Program<A, E>;
  }
}

const _map: Functor2<URI>['map'] = (fa, f) => map(fa, f);
const _ap: Apply2<URI>['ap'] = (fab, fa) => ap(fab, fa);
const _chain: Chain2<URI>['chain'] = (fa, f) => flatMap(fa, f);

/** @category instances */
export const Functor: Functor2<URI> = { URI, map: _map };
/** @category instances */
export const Apply: Apply2<URI> = { URI, map: _map, ap: _ap };
/** @category instances */
export const Applicative: Applicative2<URI> = { URI, map: _map, ap: _ap, of };
/** @category instances */
export const Chain: Chain2<URI> = { URI, map: _map, ap: _ap, chain: _chain };
/** @category instances */
export const Monad: Monad2<URI> = { URI, map: _map, ap: _ap, of, chain: _chain };

/** A program that fails with `error` (the `Fail` effect; see `Fail.either`). */
export const fail = (error: Error): Program<never, 'Fail'> => perform('Fail', 'raise', error);

/**
 * The `Program` companion: constructors, combinators and fp-ts instances.
 *
 * @example
 * import { Program, run } from 'adjoint'
 * const p = Program.gen(function* () {
 *   const a = yield* Program.of(20)
 *   const b = yield* Program.of(22)
 *   return a + b
 * })
 * assert.equal(run(p), 42)
 *
 * @category effects
 * @since 0.1.0
 */
export const Program = {
  of,
  sync,
  defer,
  fail,
  flatMap,
  chain,
  map,
  ap,
  tap,
  all,
  traverse,
  gen,
  isProgram,
  URI,
  Functor,
  Apply,
  Applicative,
  Chain,
  Monad,
} as const;
