import { existsSync, readFileSync } from 'fs';
import { homedir } from 'os';
import { join } from 'path';
import type { z } from 'zod';
import { type ArkAction, ArkActions } from './ark';

/**
 * Our Ark wire shapes held against the official SDKs' model definitions, so an SDK release that renames or drops
 * a field fails this build rather than a user's deployment. The SDKs are the ones CI can download: the Ark models
 * of volcengine-python-sdk (PyPI) and github.com/volcengine/volcengine-go-sdk (Go module proxy), at the versions
 * pinned in scripts/official-sdks/fetch.sh, which also extracts their field names into the JSON read here. The
 * newer TypeScript SDK (volcengine-nodejs-sdk service/ark, F13) is on no registry we reach: what only it has is
 * on the allow-lists below with its source, and docs/api-assumptions.md records the hand check of the rest.
 *
 * For every action an SDK covers:
 * - each field our request schema can send exists in each SDK's request model, and each field an SDK marks
 *   required is required in ours;
 * - each field our reader reads exists in at least one SDK's response model (the union: the tolerant reader
 *   accepts what any SDK says may come);
 * - each field ark-local writes exists in every SDK's response model (the intersection: the emulator takes the
 *   stricter reading).
 * Fields the SDKs lack but a named source shows are on the allow-lists; an entry no longer needed fails too.
 */

const FETCH_COMMAND = 'bash scripts/official-sdks/fetch.sh';
const CACHE = process.env.PULUMI_ARK_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pulumi-ark');
const SHAPES_FILE = join(CACHE, 'official-sdks', 'ark-shapes.json');

/** A model's wire fields; a list of objects is described by its element. */
interface Fields {
  [wireName: string]: { required: boolean; fields?: Fields };
}
interface Sdk {
  source: string;
  actions: Record<string, { request: { fields: Fields }; response: { fields: Fields } }>;
}

/** Our actions no downloadable SDK has, and why. A test fails when an SDK gains one, so its fields get checked. */
const NOT_IN_SDKS: Partial<Record<ArkAction, string>> = {
  UpdateEndpoint: 'TypeScript SDK only (F10); hand-checked in docs/api-assumptions.md',
  StartEndpoint: 'TypeScript SDK only (F11 action list); request {Id}, hand-checked',
  GetCustomModel: 'TypeScript SDK only (F7); hand-checked',
  ListCustomModels: 'TypeScript SDK only (F7); hand-checked',
  UpdateCustomModel: 'TypeScript SDK only (F7); hand-checked',
  DeleteCustomModel: 'TypeScript SDK only (F7); hand-checked',
  UploadModel: 'in no SDK: the TOS import action is not public (api-assumptions "UploadModel")',
  CreateEndpointRolling: 'in no SDK (F14): shapes from live third-party calls (F15)',
  GetEndpointRolling: 'in no SDK (F14)',
  RollbackEndpointRolling: 'in no SDK (F14)',
  CancelEndpointRolling: 'in no SDK (F14)',
};

/** `Action:Field.Path` our request may send that the Python and Go SDKs lack, with the source that has it. */
const REQUEST_EXTRAS: Record<string, string> = {
  // @volcengine/ark filter-for-list-endpoints-input.ts (volcengine-nodejs-sdk 921896b8), F11
  'ListEndpoints:Filter.PaymentType': 'F11',
  'ListEndpoints:Filter.ModelOrServiceName': 'F11',
  'ListEndpoints:Filter.Domain': 'F11',
  'ListEndpoints:Filter.ServiceInfoIds': 'F11',
};

/** `Action:Field.Path` our reader reads that neither SDK's response has, with the source that has it. */
const READ_EXTRAS: Record<string, string> = {
  // @volcengine/ark item-for-list-endpoints-output.ts and content-generation-for-list-endpoints-output.ts, F11
  'ListEndpoints:Items.PaymentType': 'F11',
  'ListEndpoints:Items.ContentGeneration': 'F11',
  'ListEndpoints:Items.ContentGeneration.ConcurrentRequests': 'F11',
  'ListEndpoints:Items.ContentGeneration.CreateTaskRpm': 'F11',
  // List items are read with GetEndpoint's schema (one Endpoint type for both); both SDKs have these on
  // GetEndpoint, and all are optional on read.
  'ListEndpoints:Items.Moderation': 'GetEndpoint of both SDKs',
  'ListEndpoints:Items.Moderation.Strategy': 'GetEndpoint of both SDKs',
  'ListEndpoints:Items.BatchOnly': 'GetEndpoint of both SDKs',
  'ListEndpoints:Items.ScaleTierId': 'GetEndpoint of both SDKs',
  'ListEndpoints:Items.SupportScaleTier': 'GetEndpoint of both SDKs',
};

/** `Action:Field.Path` ark-local writes that not every SDK's response has, with the source that has it. */
const WRITE_EXTRAS: Record<string, string> = {
  // @volcengine/ark item-for-list-endpoints-output.ts, F11
  'ListEndpoints:Items.PaymentType': 'F11',
  'ListEndpoints:Items.ContentGeneration': 'F11',
  'ListEndpoints:Items.ContentGeneration.ConcurrentRequests': 'F11',
  'ListEndpoints:Items.ContentGeneration.CreateTaskRpm': 'F11',
};

// ------------------------------------------------------------------------------------------------ zod -> fields

/** The wire fields a zod schema describes (through optional, nullable, default and arrays). */
function zodFields(schema: z.ZodType): Fields | undefined {
  const inner = unwrap(schema);
  const def = (inner as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType> } } })._zod.def;
  if (def.type !== 'object' || !def.shape) return undefined;
  const fields: Fields = {};
  for (const [name, field] of Object.entries(def.shape)) {
    const nested = zodFields(field);
    fields[name] = { required: !field.safeParse(undefined).success, ...(nested ? { fields: nested } : {}) };
  }
  return fields;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = (s as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; element?: z.ZodType; in?: z.ZodType } } })._zod.def;
    if (def.innerType) s = def.innerType;
    else if (def.type === 'array' && def.element) s = def.element;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/** Every field as a dotted path, with whether it is required where it sits. */
function paths(fields: Fields | undefined, prefix = ''): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const [name, f] of Object.entries(fields ?? {})) {
    out.set(prefix + name, f.required);
    for (const [p, r] of paths(f.fields, `${prefix}${name}.`)) out.set(p, r);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------ checks

/** What is wrong with our shapes of one action against the SDKs that have it, one line per finding. */
function crossCheck(action: ArkAction, sdks: Record<string, Sdk>): string[] {
  const contract = ArkActions[action];
  const having = Object.entries(sdks).filter(([, sdk]) => sdk.actions[action]);
  const problems: string[] = [];
  const ours = { request: paths(zodFields(contract.request)), read: paths(zodFields(contract.read)), write: paths(zodFields(contract.result)) };
  const responses = having.map(([, sdk]) => paths(sdk.actions[action]!.response.fields));

  for (const [label, sdk] of having) {
    const theirs = paths(sdk.actions[action]!.request.fields);
    for (const path of ours.request.keys()) {
      if (!theirs.has(path) && !REQUEST_EXTRAS[`${action}:${path}`]) problems.push(`${action} request field ${path} is not in ${label} (${sdk.source})`);
    }
    for (const [path, required] of theirs) {
      if (required && ours.request.get(path) !== true && parentSent(path, ours.request)) {
        problems.push(`${action} request field ${path} is required by ${label} (${sdk.source}) but ${ours.request.has(path) ? 'optional' : 'absent'} in ours`);
      }
    }
  }
  for (const path of ours.read.keys()) {
    if (!responses.some((r) => r.has(path)) && !READ_EXTRAS[`${action}:${path}`]) {
      problems.push(`${action} reader reads ${path}, which no SDK's response has (${having.map(([l, s]) => `${l} ${s.source}`).join(', ')})`);
    }
  }
  for (const path of ours.write.keys()) {
    const lacking = having.filter((_, i) => !responses[i]!.has(path)).map(([l, s]) => `${l} ${s.source}`);
    if (lacking.length && !WRITE_EXTRAS[`${action}:${path}`]) problems.push(`ark-local writes ${action} ${path}, which ${lacking.join(' and ')} lacks`);
  }
  return problems;
}

/** A nested required field matters only where we send its parent object. */
function parentSent(path: string, request: Map<string, boolean>): boolean {
  const dot = path.lastIndexOf('.');
  return dot < 0 || request.has(path.slice(0, dot));
}

/** Allow-list entries that no longer excuse anything: the SDKs gained the field, or we stopped using it. */
function staleExtras(sdks: Record<string, Sdk>): string[] {
  const stale: string[] = [];
  const check = (list: Record<string, string>, name: string, side: 'request' | 'read' | 'write') => {
    for (const key of Object.keys(list)) {
      const [action, path] = key.split(':') as [ArkAction, string];
      const contract = ArkActions[action];
      const schema = side === 'request' ? contract.request : side === 'read' ? contract.read : contract.result;
      const having = Object.values(sdks).filter((sdk) => sdk.actions[action]);
      const sdkPaths = having.map((sdk) => paths(side === 'request' ? sdk.actions[action]!.request.fields : sdk.actions[action]!.response.fields));
      const ourPath = paths(zodFields(schema)).has(path);
      // request and write: needed while some SDK lacks it; read: needed while every SDK lacks it.
      const needed = side === 'read' ? sdkPaths.every((p) => !p.has(path)) : sdkPaths.some((p) => !p.has(path));
      if (!ourPath || !needed) stale.push(`${name} entry ${key} is no longer needed (${!ourPath ? 'our schema has no such field' : 'the SDKs have it now'}): remove it`);
    }
  };
  check(REQUEST_EXTRAS, 'REQUEST_EXTRAS', 'request');
  check(READ_EXTRAS, 'READ_EXTRAS', 'read');
  check(WRITE_EXTRAS, 'WRITE_EXTRAS', 'write');
  return stale;
}

// ------------------------------------------------------------------------------------------------------- tests

const shapes: { sdks: Record<string, Sdk> } | undefined = existsSync(SHAPES_FILE) ? JSON.parse(readFileSync(SHAPES_FILE, 'utf8')) : undefined;

describe('Ark wire shapes against the official SDKs', () => {
  it('has the official SDKs extracted', () => {
    if (!shapes) throw new Error(`${SHAPES_FILE} is missing: run \`${FETCH_COMMAND}\` (downloads the pinned SDKs from PyPI and the Go module proxy)`);
    expect(Object.keys(shapes.sdks).sort()).toEqual(['go', 'python']);
  });
  if (!shapes) return;
  const sdks = shapes.sdks;
  const covered = (Object.keys(ArkActions) as ArkAction[]).filter((a) => Object.values(sdks).some((sdk) => sdk.actions[a]));

  it('checks every action an SDK has, and says why for every other one', () => {
    const problems: string[] = [];
    for (const action of Object.keys(ArkActions) as ArkAction[]) {
      const in_ = Object.entries(sdks).filter(([, sdk]) => sdk.actions[action]).map(([label]) => label);
      if (in_.length && NOT_IN_SDKS[action]) problems.push(`${action} is now in the ${in_.join(' and ')} SDK: take it off NOT_IN_SDKS so its fields are checked`);
      if (!in_.length && !NOT_IN_SDKS[action]) problems.push(`${action} is in no SDK: add it to NOT_IN_SDKS with the reason`);
    }
    expect(problems).toEqual([]);
  });

  it.each(covered)('%s: our request, reader and ark-local fields are the SDKs\'', (action) => {
    expect(crossCheck(action, sdks)).toEqual([]);
  });

  it('keeps no allow-list entry that excuses nothing', () => {
    expect(staleExtras(sdks)).toEqual([]);
  });
});
