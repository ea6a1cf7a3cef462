import type { z } from 'zod';
import { type CheckFailure, isUnknown } from './controller';

/**
 * check/diff building blocks shared by the resource controllers: zod validation that tolerates preview's
 * unknown sentinel, and a table-driven property diff (replace list, ignore list, unknowns).
 */

/** True when the value is the unknown sentinel or holds it somewhere inside (e.g. `rateLimit.rpm`). */
export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsUnknown);
  return false;
}

/**
 * Validates `news` with `schema` (a zod object), skipping properties still unknown during preview. Returns the
 * parsed inputs (defaults applied; unknown properties passed through untouched) or one failure per bad property.
 */
export function checkWithSchema<S extends z.ZodObject>(
  schema: S,
  news: Record<string, unknown>,
): { inputs?: z.infer<S>; failures: CheckFailure[]; unknown: Set<string> } {
  const unknown = new Set(Object.keys(news).filter((key) => containsUnknown(news[key])));
  const known: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(news)) if (!unknown.has(key)) known[key] = value;
  const mask = Object.fromEntries([...unknown].filter((k) => k in schema.shape).map((k) => [k, true]));
  const parsed = (schema.partial(mask as never) as z.ZodObject).safeParse(known);
  if (!parsed.success) {
    const failures = parsed.error.issues.map((issue) => ({
      property: issue.path.length ? issue.path.join('.') : '(inputs)',
      reason: `${issue.message} (found ${issue.path.length ? describeValue(valueAt(known, issue.path)) : 'the inputs'})`,
    }));
    return { failures, unknown };
  }
  const inputs = { ...(parsed.data as Record<string, unknown>) };
  for (const key of unknown) inputs[key] = news[key];
  return { inputs: inputs as z.infer<S>, failures: [], unknown };
}

/**
 * The inputs a refreshed resource reports back to the engine: the input properties of its outputs (outputs echo
 * the inputs), leaving out the ones that are not set.
 */
export function pickInputs<I>(outs: Record<string, unknown>, inputKeys: readonly string[]): I {
  const inputs: Record<string, unknown> = {};
  for (const key of inputKeys) if (outs[key] !== undefined) inputs[key] = outs[key];
  return inputs as I;
}

/**
 * True when a read has no stored state to start from: `pulumi import` reads with the id alone (the native
 * plugin adds the `owner` the importing resource will have). `storedKey` is an output every stored state of
 * the resource carries (an endpoint's `status`, a directory's `files`).
 */
export function isImportRead(props: Record<string, unknown>, storedKey: string): boolean {
  return props[storedKey] === undefined;
}

function valueAt(obj: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let current: unknown = obj;
  for (const key of path) current = current && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined;
  return current;
}

/** A short rendering of an input value for failure messages. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export interface DiffTable {
  /** Properties whose change replaces the resource. */
  replaceOnChanges: readonly string[];
  /** Properties never compared (used only at create time, or derived). */
  ignore?: readonly string[];
}

export interface PropertyDiff {
  changed: string[];
  replaces: string[];
}

/**
 * Compares the stored state (`olds`: outputs, which echo the inputs) with the new inputs, over the keys of the
 * new inputs and the input `keys` given. An unknown new value counts as a change (the engine cannot know it
 * will be equal), and as a replacement when the property is in the replace list.
 */
export function diffProperties(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: readonly string[],
  table: DiffTable,
): PropertyDiff {
  const changed: string[] = [];
  for (const key of keys) {
    if (table.ignore?.includes(key)) continue;
    if (containsUnknown(news[key]) || !sameValue(olds[key], news[key])) changed.push(key);
  }
  return { changed, replaces: changed.filter((key) => table.replaceOnChanges.includes(key)) };
}

/**
 * Deep equality where an absent value, `undefined`, `''` and an empty object/array mean the same thing: "not
 * set". Refresh rebuilds inputs from the live API, which reports an unset description as '' and no tags as [].
 */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    return items.length ? items : undefined;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => [k, normalize(v)] as const)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value;
}
