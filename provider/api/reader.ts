import { z } from 'zod';

/**
 * The tolerant-reader building blocks every reader schema of provider/api is made of (ark.ts, ark-rolling.ts):
 * open enums, and objects whose required fields come from the READ_NEEDS table (read-needs.ts). A module of its
 * own so ark-rolling.ts can use them without importing ark.ts (which registers the rolling actions).
 */

/** A value of a documented set, or any other string the service may add later. */
export type Open<T extends string> = T | (string & {});

/** Reader side of an enum: any string, typed as the known values or another one. */
export function openEnum<const T extends readonly [string, ...string[]]>(values: T): z.ZodType<Open<T[number]>> {
  return z.string().describe(`one of ${values.join(', ')}, or a value the service added later`) as unknown as z.ZodType<Open<T[number]>>;
}

/** True when `value` is one of the documented `values` (narrowing an open value back to the known union). */
export function isKnown<const T extends readonly string[]>(values: T, value: string | undefined): value is T[number] {
  return value !== undefined && (values as readonly string[]).includes(value);
}

type NeedsOf<S extends z.ZodRawShape> = { readonly [K in keyof S]: 'required' | 'optional' };
type ReadShape<S extends z.ZodRawShape, N extends NeedsOf<S>> = {
  [K in keyof S]: N[K] extends 'required' ? S[K] : z.ZodOptional<S[K]>;
};

/**
 * Reader side of an object: fields the needs table marks `optional` may be absent, unknown fields are kept
 * (they are drift a later version may use, and the doctor reports them).
 */
export function readObject<S extends z.ZodRawShape, N extends NeedsOf<S>>(shape: S, needs: N) {
  const fields: Record<string, z.ZodType> = {};
  for (const [key, schema] of Object.entries(shape)) {
    fields[key] = needs[key] === 'required' ? (schema as z.ZodType) : (schema as z.ZodType).optional();
  }
  return z.looseObject(fields as ReadShape<S, N>);
}
