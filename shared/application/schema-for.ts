import type { z } from 'zod';

/** T with every array read-only: the domain declares its arrays read-only, zod's outputs are not. */
type Frozen<T> = T extends readonly (infer E)[]
  ? readonly Frozen<E>[]
  : T extends object
    ? { readonly [K in keyof T]: Frozen<T[K]> }
    : T;

/** Frozen, with every property required: two types that differ only by a field one lacks differ here. */
type Keyed<T> = T extends readonly (infer E)[]
  ? readonly Keyed<E>[]
  : T extends object
    ? { readonly [K in keyof T]-?: Keyed<T[K]> }
    : T;

type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Whether A and B are the same type (arrays' mutability aside): same fields, each of the same type. */
type Same<A, B> = Mutual<Frozen<A>, Frozen<B>> extends true ? Mutual<Keyed<A>, Keyed<B>> : false;

/**
 * Schemas held to a domain contract at compile time: `SchemasFor<M, S>` is `S` when the schema of
 * each key of `M` parses to exactly `M[key]` (both ways), and that key's schema is `never`
 * otherwise — so `schemas satisfies SchemasFor<M, typeof schemas>` fails on the key that drifted.
 */
export type SchemasFor<M, S> = {
  readonly [K in keyof M]: K extends keyof S
    ? S[K] extends z.ZodType
      ? Same<z.output<S[K]>, M[K]> extends true
        ? S[K]
        : never
      : never
    : never;
};
