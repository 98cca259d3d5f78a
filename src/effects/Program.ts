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
import { checkArity, describeValue, invalidArgument, isPlainObject, parseFunction } from '../core/args.js';
import { AdjointError, ArgumentError } from '../core/errors.js';
import { ignoreRejection, isThenable } from '../core/Tree.js';

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
  /** Closes the trace; called exactly once, also when the program aborts, throws or its promise rejects. */
  close(): void;
  /** Takes the open trace out of dispatch while `runPromise` awaits (it stays valid), and puts it back. */
  suspend(): void;
  resume(): void;
  /** Replaces the transform's own tracers by their primals (applied to handler states outside it). */
  lower(value: unknown): unknown;
  /** Computes the transform's result from the program's result (after `close`). */
  finish(value: unknown): unknown;
  /**
   * Sees every effect request the program performs that a handler outside the transform answers
   * (vmap batches draws and refuses some effects; checkpoint records results for replay): it may
   * rewrite the request and map the answer, or answer it itself.
   */
  intercept?(effect: string, op: string, payload: unknown): Interception;
}

/**
 * @internal What a transform does with an effect request passing through it: forward it (possibly
 * rewritten, with a map of the answer), or answer it itself.
 */
export type Interception =
  | { readonly _tag: 'Forward'; readonly op: string; readonly payload: unknown; readonly after?: (value: unknown) => unknown }
  | { readonly _tag: 'Answer'; readonly value: unknown };

/**
 * @internal A handler's answer to one effect request: resume with a value, abort to the handler's
 * frame, or (IO.promise) await `start()` and resume with `resume` of its result, under `runPromise`.
 */
export type HandlerResult<S> =
  | { readonly _tag: 'Resume'; readonly value: unknown; readonly state: S }
  | { readonly _tag: 'Abort'; readonly error: unknown }
  | { readonly _tag: 'Await'; readonly start: () => unknown; readonly resume: (value: unknown) => unknown; readonly state: S };

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
 * handlers and `run` (or `runPromise` when an IO step is asynchronous). A program is an immutable
 * value: it has no public state, can be run any number of times and never changes.
 *
 * @example
 * import { Program, run } from 'adjoint'
 * const p = Program.map(Program.of(2), (n) => n * 21)
 * assert.equal(run(p), 42)
 * p.node = Program.of(0)  // a program has no public state: this changes nothing
 * assert.equal(run(p), 42)
 *
 * @category effects
 * @since 0.1.0
 */
export interface Program<A, E = never> {
  /** Phantom fields: they carry the type parameters and hold nothing at run time. */
  readonly [ProgramTypeId]: {
    /** The result type. */
    readonly _A: () => A;
    /** The effect union. */
    readonly _E: () => E;
  };
  /** `yield* program` inside `Program.gen` runs it and gives its result. */
  [Symbol.iterator](): Generator<Program<A, E>, A, unknown>;
}

// Named `Program` so that error messages describe a misplaced program as "a Program".
const ProgramImpl = class Program {
  declare readonly [ProgramTypeId]: never;
  /**
   * What the program does, in a private field: no code outside this module can read or replace it,
   * so a program cannot be changed once built. (Programs are not also `Object.freeze`d: a freeze
   * costs about 250 ns per object, more than building the program, and programs are built per step.)
   */
  readonly #node: Node;
  constructor(node: Node) {
    this.#node = node;
  }
  /** The node of a program (the interpreter's view). */
  static nodeOf(p: unknown): Node {
    return (p as Program).#node;
  }
  /**
   * A brand check on the private field: an `Object.create` of the prototype or a `Proxy` of a
   * program (which `instanceof` accepts, but whose node cannot be read) is not a program.
   */
  static isProgram(u: unknown): boolean {
    return typeof u === 'object' && u !== null && #node in u;
  }
  *[Symbol.iterator](): Generator<unknown, unknown, unknown> {
    // `yield* program` inside Program.gen: hand the program to the driver, receive its result
    return yield this;
  }
};
// nor can the behaviour all programs share
Object.freeze(ProgramImpl.prototype);
Object.freeze(ProgramImpl);

const nodeOf = ProgramImpl.nodeOf;
const branded = ProgramImpl.isProgram;

const make = <A, E>(node: Node): Program<A, E> => new ProgramImpl(node) as unknown as Program<A, E>;

/** True for programs (made by this library: not an `Object.create` of the prototype, nor a `Proxy` of one). */
export function isProgram(u: unknown): u is Program<unknown, unknown> {
  return branded(u);
}

// ---- argument checks -------------------------------------------------------------------------------

/** The error for `got` where a program belongs: `ASYNC_FUNCTION` for a promise, else `NOT_A_PROGRAM`. */
function notAProgram(op: string, what: string, got: unknown): AdjointError {
  if (isThenable(got)) {
    ignoreRejection(got);
    return new ArgumentError(
      'ASYNC_FUNCTION',
      op,
      `${what} is a promise; a program's steps are synchronous functions: await inside a program with IO.promise(() => ...) and run it with runPromise`,
    );
  }
  // (instanceof reads the prototype chain only: true for a forged or proxied program, which is not one)
  const described = got instanceof ProgramImpl ? 'an object posing as a Program (made with Object.create or a Proxy: only the constructors and combinators make programs)' : describeValue(got);
  return new ArgumentError('NOT_A_PROGRAM', op, `${what} is ${described}; pass a Program (Program.of(value) wraps a plain value)`);
}

/** `v` if it is a program; otherwise a typed error naming `op` and the parameter. */
export function parseProgram(op: string, param: string, v: unknown): Program<unknown, unknown> {
  if (branded(v)) return v as unknown as Program<unknown, unknown>;
  throw notAProgram(op, param, v);
}

// ---- constructors and combinators ----------------------------------------------------------------

/** A program that returns `a` and performs nothing. */
export const of = <A>(a: A): Program<A, never> => make({ _tag: 'Pure', value: a });

/** A program that computes `thunk()` when run (pure, synchronous code, deferred). */
export function sync<A>(thunk: () => A): Program<A, never> {
  return make({ _tag: 'Sync', thunk: parseFunction<() => A>('Program.sync', 'thunk', thunk) });
}

/** A program built lazily, when run. */
export function defer<A, E>(thunk: () => Program<A, E>): Program<A, E> {
  return make({ _tag: 'Defer', thunk: parseFunction<() => Program<unknown, unknown>>('Program.defer', 'thunk', thunk) });
}

/** The FlatMap node, for arguments already checked. */
const bind = <B, E>(p: Program<unknown, unknown>, k: (a: never) => Program<unknown, unknown>): Program<B, E> =>
  make({ _tag: 'FlatMap', first: p, k: k as (a: unknown) => Program<unknown, unknown> });

/**
 * Sequencing: run `p`, then the program `k` makes from its result. Data-first (`flatMap(p, k)`) or
 * data-last for `pipe` (`pipe(p, flatMap(k))`).
 */
export const flatMap: {
  <A, B, E2>(k: (a: A) => Program<B, E2>): <E>(p: Program<A, E>) => Program<B, E | E2>;
  <A, E, B, E2>(p: Program<A, E>, k: (a: A) => Program<B, E2>): Program<B, E | E2>;
} = dual('Program.flatMap', 'k', (p, k) => bind(p, k));

/** Alias of `flatMap`, fp-ts style. */
export const chain: typeof flatMap = dual('Program.chain', 'k', (p, k) => bind(p, k));

/** Applies `f` to the result. Data-first or data-last. */
export const map: {
  <A, B>(f: (a: A) => B): <E>(p: Program<A, E>) => Program<B, E>;
  <A, E, B>(p: Program<A, E>, f: (a: A) => B): Program<B, E>;
} = dual('Program.map', 'f', (p, f) => bind(p, (a) => of(f(a))));

/** Runs `f` for its effects and keeps the original result. Data-first or data-last. */
export const tap: {
  <A, E2>(f: (a: A) => Program<unknown, E2>): <E>(p: Program<A, E>) => Program<A, E | E2>;
  <A, E, E2>(p: Program<A, E>, f: (a: A) => Program<unknown, E2>): Program<A, E | E2>;
} = dual('Program.tap', 'f', (p, f) =>
  bind(p, (a) => {
    const q: unknown = f(a);
    if (!branded(q)) throw notAProgram('Program.tap', 'the result of f', q);
    return bind(q as unknown as Program<unknown, unknown>, () => of(a));
  }),
);

/**
 * Applies a program's function to another program's value (left to right). Data-first
 * (`ap(pf, pa)`) or data-last as in fp-ts (`pipe(pf, ap(pa))`).
 */
export const ap: {
  <A, E2>(pa: Program<A, E2>): <B, E>(pf: Program<(a: A) => B, E>) => Program<B, E | E2>;
  <A, E, B, E2>(pf: Program<(a: A) => B, E>, pa: Program<A, E2>): Program<B, E | E2>;
} = function ap(this: unknown, first: unknown, second?: unknown): never {
  const op = 'Program.ap';
  const apply = (pf: unknown, pa: unknown): Program<unknown, unknown> => {
    const f = parseProgram(op, 'pf', pf);
    const a = parseProgram(op, 'pa', pa);
    return bind(f, (g: unknown) => {
      if (typeof g !== 'function') invalidArgument(op, 'the result of pf', g, 'pf must return a function');
      return bind(a, (v) => of((g as (x: unknown) => unknown)(v)));
    });
  };
  if (arguments.length === 1) {
    const pa = parseProgram(op, 'pa', first);
    return ((pf: unknown) => apply(pf, pa)) as never;
  }
  return apply(first, second) as never;
} as never;

/**
 * A combinator usable data-first, `c(p, f)`, and data-last, `c(f)(p)`, told apart by the number of
 * arguments; the program and the function are checked where the caller passes them.
 */
function dual(
  op: string,
  param: string,
  body: (p: Program<unknown, unknown>, f: (a: unknown) => never) => Program<unknown, unknown>,
): never {
  return function (this: unknown, first: unknown, second?: unknown): unknown {
    if (arguments.length === 1) {
      const f = parseFunction<(a: unknown) => never>(op, param, first);
      return (p: unknown) => body(parseProgram(op, 'p', p), f);
    }
    return body(parseProgram(op, 'p', first), parseFunction(op, param, second));
  } as never;
}

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
  const op = 'Program.all';
  if (Array.isArray(programs)) {
    const list: Program<unknown, unknown>[] = [];
    // a plain loop, not map: a hole in a sparse array is reported like undefined
    for (let i = 0; i < programs.length; i++) list.push(parseProgram(op, `programs[${i}]`, programs[i]));
    return sequence(list);
  }
  if (!isPlainObject(programs)) invalidArgument(op, 'programs', programs, 'pass an array of programs or a record (plain object) of programs');
  const record = programs as Readonly<Record<string, unknown>>;
  const keys = Object.keys(record);
  const list = keys.map((k) => parseProgram(op, `programs.${k}`, record[k]));
  return bind(sequence(list), (values: ReadonlyArray<unknown>) => {
    const out: Record<string, unknown> = {};
    keys.forEach((k, i) => Object.defineProperty(out, k, { value: values[i], enumerable: true }));
    return of(Object.freeze(out));
  });
}

/** Runs checked programs in order, collecting a frozen array of their results. */
function sequence(programs: ReadonlyArray<Program<unknown, unknown>>): Program<ReadonlyArray<unknown>, unknown> {
  return defer(() => {
    const out: unknown[] = [];
    let p: Program<unknown, unknown> = of(undefined);
    programs.forEach((q, i) => {
      p = bind(p, () => bind(q, (b) => of(void (out[i] = b))));
    });
    return bind(p, () => of(Object.freeze(out.slice())));
  });
}

/** Maps each element to a program and runs them in order, collecting the results. */
export function traverse<T, B, E>(items: ReadonlyArray<T>, f: (item: T, index: number) => Program<B, E>): Program<ReadonlyArray<B>, E> {
  const op = 'Program.traverse';
  if (!Array.isArray(items)) invalidArgument(op, 'items', items, 'pass an array');
  const fn = parseFunction<(item: T, index: number) => unknown>(op, 'f', f);
  // a copy: a later change to the caller's array does not change the program
  const list = (items as ReadonlyArray<T>).slice();
  return defer(() => {
    const out: B[] = [];
    let p: Program<unknown, unknown> = of(undefined);
    list.forEach((item, i) => {
      p = bind(p, () => {
        const q = fn(item, i);
        if (!branded(q)) throw notAProgram(op, `the result of f for items[${i}]`, q);
        return bind(q as unknown as Program<unknown, unknown>, (b: B) => of(void (out[i] = b)));
      });
    });
    return bind(p, () => of(Object.freeze(out.slice()) as ReadonlyArray<B>));
  }) as Program<ReadonlyArray<B>, E>;
}

/**
 * Generator do-notation: inside, `yield*` runs an effect or sub-program and gives its result; pure
 * tensor ops are called directly. The effects of everything yielded accumulate in the type.
 */
export function gen<Y extends Program<unknown, unknown>, A>(body: () => Generator<Y, A, unknown>): Program<A, EffectsOf<Y>> {
  const op = 'Program.gen';
  const fn = parseFunction<() => unknown>(op, 'body', body);
  return defer(() => {
    const it = fn() as Generator<unknown, unknown, unknown>;
    if (typeof it !== 'object' || it === null || typeof it.next !== 'function') {
      throw notAProgram(op, `the result of body (${describeValue(it)}), which should be a generator,`, it);
    }
    const step = (input: unknown): Program<unknown, unknown> => {
      const r = it.next(input);
      if (r.done) return of(r.value);
      if (!branded(r.value)) throw notAProgram(op, 'a value the generator yielded (use yield* with a program, not yield)', r.value);
      return bind(r.value as unknown as Program<unknown, unknown>, step);
    };
    return step(undefined);
  }) as Program<A, EffectsOf<Y>>;
}

/** @internal An effect request, answered by the innermost handler of `effect`. */
export const perform = <A, E extends EffectTag>(effect: E, op: string, payload: unknown): Program<A, E> => make({ _tag: 'Perform', effect, op, payload });

/** @internal Installs a handler around `p` (checked here: handlers are where users pass programs). */
export const handle = <A, E, B, T extends EffectTag>(op: string, p: Program<A, E>, handler: Handler<unknown>): Program<B, Exclude<E, T>> =>
  make({ _tag: 'Handle', program: parseProgram(op, 'program', p), handler });

/** @internal A transform over a program (see the module comment). */
export const transformNode = <A, E>(start: () => TransformScope): Program<A, E> => make({ _tag: 'Transform', start });

// ---- the interpreter -------------------------------------------------------------------------------

interface HandlerFrame {
  readonly kind: 'handler';
  readonly handler: Handler<unknown>;
  state: unknown;
  /** Its position on the stack: transforms above it see the requests it answers. */
  readonly index: number;
}
interface TransformFrame {
  readonly kind: 'transform';
  readonly scope: TransformScope;
  closed: boolean;
}
type Frame = ((a: unknown) => Program<unknown, unknown>) | HandlerFrame | TransformFrame;

/** One interpretation's state: kept between the synchronous stretches `runPromise` awaits between. */
interface Machine {
  readonly stack: Frame[];
  readonly handlers: HandlerFrame[];
  current: Node | undefined;
  value: unknown;
}

/** An IO step `runPromise` must await: the promise, and how to turn its result into the step's value. */
interface Suspension {
  readonly promise: unknown;
  readonly resume: (value: unknown) => unknown;
}

/** What `drive` does first when it continues after an await: resume with a value, or throw the rejection. */
type Continuation = { readonly ok: true; readonly value: unknown; readonly resume: (value: unknown) => unknown } | { readonly ok: false; readonly error: unknown };

function closeScope(frame: TransformFrame, handlers: ReadonlyArray<HandlerFrame>): void {
  if (frame.closed) return;
  frame.closed = true;
  frame.scope.close();
  // handler states outside the transform must not keep its tracers
  for (const h of handlers) {
    if (h.handler.lower !== undefined) h.state = h.handler.lower(h.state, (v) => frame.scope.lower(v));
  }
}

function continuationError(got: unknown): AdjointError {
  return notAProgram('Program.flatMap', 'the result of a continuation (the function given to flatMap or chain)', got);
}

/**
 * Interprets until the program returns (its value is left in `m.value`) or, with `async`, until an
 * IO step must be awaited. A synchronous `run` refuses such a step. Any exception closes every
 * transform still open on the stack before it propagates.
 */
function drive(m: Machine, async: boolean, resumeWith?: Continuation): Suspension | undefined {
  const { stack, handlers } = m;
  let current = m.current;
  let value = m.value;
  try {
    if (resumeWith !== undefined) {
      if (!resumeWith.ok) throw resumeWith.error;
      value = resumeWith.resume(resumeWith.value);
    }
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
            if (isThenable(value)) {
              ignoreRejection(value);
              throw new ArgumentError(
                'ASYNC_FUNCTION',
                'Program.sync',
                'the thunk returned a promise; Program.sync is for synchronous code: use IO.promise(() => ...) for an asynchronous step and run the program with runPromise',
              );
            }
            break;
          case 'Defer': {
            const p = node.thunk();
            if (!branded(p)) throw notAProgram('Program.defer', 'the result of the thunk', p);
            current = nodeOf(p as unknown as Program<unknown, unknown>);
            continue;
          }
          case 'FlatMap':
            stack.push(node.k);
            current = nodeOf(node.first);
            continue;
          case 'Handle': {
            const frame: HandlerFrame = { kind: 'handler', handler: node.handler, state: node.handler.init(), index: stack.length };
            stack.push(frame);
            handlers.push(frame);
            current = nodeOf(node.program);
            continue;
          }
          case 'Transform': {
            const scope = node.start();
            stack.push({ kind: 'transform', scope, closed: false });
            current = nodeOf(scope.program);
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
            // transforms between the request and its handler see it, innermost first
            let op = node.op;
            let payload = node.payload;
            let afters: Array<(v: unknown) => unknown> | undefined;
            let answered = false;
            for (let i = stack.length - 1; i > frame.index; i--) {
              const f = stack[i]!;
              if (typeof f === 'function' || f.kind !== 'transform' || f.closed || f.scope.intercept === undefined) continue;
              const seen = f.scope.intercept(node.effect, op, payload);
              if (seen._tag === 'Answer') {
                value = seen.value;
                answered = true;
                break;
              }
              op = seen.op;
              payload = seen.payload;
              if (seen.after !== undefined) (afters ??= []).push(seen.after);
            }
            const answer = (v: unknown): unknown => {
              let out = v;
              if (afters !== undefined) for (let i = afters.length - 1; i >= 0; i--) out = afters[i]!(out);
              return out;
            };
            if (answered) {
              value = answer(value);
              break;
            }
            const r = frame.handler.handle(op, payload, frame.state);
            if (r._tag === 'Resume') {
              frame.state = r.state;
              value = answer(r.value);
              break;
            }
            if (r._tag === 'Await') {
              if (!async) {
                throw new ArgumentError(
                  'ASYNC_FUNCTION',
                  `${node.effect}.${node.op}`,
                  'an asynchronous step cannot run under run, which returns synchronously; run the program with runPromise (await runPromise(program))',
                );
              }
              frame.state = r.state;
              const promise = r.start();
              m.current = undefined;
              m.value = undefined;
              return { promise, resume: (v: unknown) => answer(r.resume(v)) };
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
      if (top === undefined) {
        m.value = value;
        return undefined;
      }
      if (typeof top === 'function') {
        const next = top(value);
        if (!branded(next)) throw continuationError(next);
        current = nodeOf(next as unknown as Program<unknown, unknown>);
      } else if (top.kind === 'handler') {
        handlers.pop();
        value = top.handler.onReturn(value, top.state);
      } else {
        closeScope(top, handlers);
        value = top.scope.finish(value);
      }
    }
  } catch (e) {
    // a programmer error escaped (or an awaited promise rejected): leave no trace open
    for (let i = stack.length - 1; i >= 0; i--) {
      const f = stack[i]!;
      if (typeof f !== 'function' && f.kind === 'transform' && !f.closed) {
        f.closed = true;
        f.scope.close();
      }
    }
    stack.length = 0;
    throw e;
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

const machine = (program: Program<unknown, unknown>): Machine => ({ stack: [], handlers: [], current: nodeOf(program), value: undefined });

/**
 * Runs a program whose effects have all been handled, synchronously. A program with an unhandled
 * effect does not type-check; a program with an asynchronous IO step (`IO.promise`) needs
 * `runPromise`, and `run` refuses it with `ASYNC_FUNCTION`.
 *
 * @example
 * import { Program, run } from 'adjoint'
 * assert.equal(run(Program.of(1)), 1)
 *
 * @category effects
 * @since 0.1.0
 */
export function run<A>(program: Program<A, never>): A {
  checkArity('run', arguments.length, 1, 'run(program)');
  const m = machine(parseProgram('run', 'program', program));
  drive(m, false);
  return m.value as A;
}

/**
 * Runs a program whose effects have all been handled and whose IO steps may be asynchronous
 * (`IO.promise`): a promise of its result. Transforms inside the program keep their traces valid
 * across the awaits (and out of the way of other code that runs meanwhile), and close them however
 * the program ends: returns, fails, throws, or an awaited promise rejects (then the returned promise
 * rejects with that error). An argument that is not a program is refused at once, synchronously.
 *
 * @example
 * import { Program, IO, runPromise } from 'adjoint'
 * const p = Program.map(IO.run(IO.promise(() => Promise.resolve(20))), (n) => n + 22)
 * assert.equal(await runPromise(p), 42)
 *
 * @category effects
 * @since 0.1.0
 */
export function runPromise<A>(program: Program<A, never>): Promise<A> {
  checkArity('runPromise', arguments.length, 1, 'runPromise(program)');
  return drivePromise(machine(parseProgram('runPromise', 'program', program))) as Promise<A>;
}

async function drivePromise(m: Machine): Promise<unknown> {
  let next: Continuation | undefined;
  for (;;) {
    const s = drive(m, true, next);
    if (s === undefined) return m.value;
    // the traces of the transforms the program is inside stay valid, but leave dispatch while other
    // code runs; they come back, outermost first, before the program continues
    const open = m.stack.filter((f): f is TransformFrame => typeof f !== 'function' && f.kind === 'transform' && !f.closed);
    for (let i = open.length - 1; i >= 0; i--) open[i]!.scope.suspend();
    try {
      next = { ok: true, value: await s.promise, resume: s.resume };
    } catch (error) {
      next = { ok: false, error };
    }
    for (const f of open) f.scope.resume();
  }
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
export const Functor: Functor2<URI> = Object.freeze({ URI, map: _map });
/** @category instances */
export const Apply: Apply2<URI> = Object.freeze({ URI, map: _map, ap: _ap });
/** @category instances */
export const Applicative: Applicative2<URI> = Object.freeze({ URI, map: _map, ap: _ap, of });
/** @category instances */
export const Chain: Chain2<URI> = Object.freeze({ URI, map: _map, ap: _ap, chain: _chain });
/** @category instances */
export const Monad: Monad2<URI> = Object.freeze({ URI, map: _map, ap: _ap, of, chain: _chain });

/** A program that fails with `error` (the `Fail` effect; see `Fail.either`). */
export function fail(error: Error): Program<never, 'Fail'> {
  if (!(error instanceof Error)) invalidArgument('Fail.raise', 'error', error, "pass an Error (Fail.raise(new Error('...'))), which Fail.either returns as Left");
  return perform('Fail', 'raise', error);
}

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
export const Program = Object.freeze({
  of,
  /** A program that computes `thunk()` when run (pure, synchronous code, deferred). */
  sync,
  /** A program built lazily, when run. */
  defer,
  /** A program that fails with `error` (the `Fail` effect; see `Fail.either`). */
  fail,
  flatMap,
  chain,
  map,
  ap,
  tap,
  /** Runs programs in order and collects their results: an array of programs, or a record of programs. */
  all,
  /** Maps each element to a program and runs them in order, collecting the results. */
  traverse,
  /** Generator do-notation: `yield*` runs an effect or sub-program and gives its result. */
  gen,
  /** True for programs. */
  isProgram,
  URI,
  Functor,
  Apply,
  Applicative,
  Chain,
  Monad,
} as const);
