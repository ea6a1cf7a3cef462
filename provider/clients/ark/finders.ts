import type { z } from 'zod';
import {
  type ArkRequest,
  type CustomModel,
  type CustomModelItem,
  CustomModelItemReadSchema,
  CustomModelReadSchema,
  type Endpoint,
  EndpointReadSchema,
  MAX_PAGE_SIZE,
  type RequestTag,
  type Tag,
} from '../../api/ark';
import { OWNER_TAG_KEY } from '../../resources/dynamic-shim';
import type { ArkClient } from './client';
import { ArkProtocolError, isNotFound } from './errors';

/**
 * Finders: one place where "not found" becomes `undefined`, where a resource this stack made earlier is
 * recognised (exact name + owner tag), so creates can adopt instead of duplicating, and where an answer the
 * reader does not fully understand still yields what a delete or a refresh needs (`TolerantRead`).
 */

/** Fields of one answer that did not match the reader (absent where required, or of another type). */
export interface Unreadable {
  action: string;
  fields: string[];
  error: ArkProtocolError;
}

/** A read that did not need the whole answer: the fields that matched the reader, and what did not. */
export interface TolerantRead<T> {
  value: Partial<T> & { Id: string };
  unreadable: Unreadable[];
}

/** The fields of `raw` that match `schema`'s shape one by one, and the names of those that do not. */
export function salvage<T>(schema: z.ZodObject, raw: unknown): { value: Partial<T>; unreadable: string[] } | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const value: Record<string, unknown> = {};
  const unreadable: string[] = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    const parsed = (field as z.ZodType).safeParse((raw as Record<string, unknown>)[key]);
    if (!parsed.success) unreadable.push(key);
    else if (parsed.data !== undefined) value[key] = parsed.data;
  }
  return { value: value as Partial<T>, unreadable };
}

/** A Protocol error's Result salvaged with `schema` (the id asked for when its own is unreadable), or `error` rethrown. */
function salvaged<T>(error: unknown, schema: z.ZodObject, id: string): TolerantRead<T> {
  const got = error instanceof ArkProtocolError ? salvage<T>(schema, error.result) : undefined;
  if (!got) throw error;
  const protocol = error as ArkProtocolError;
  return {
    value: { ...got.value, Id: (got.value as { Id?: string }).Id ?? id },
    unreadable: [{ action: protocol.action, fields: got.unreadable, error: protocol }],
  };
}

/** What a strict caller (create, update, rollout) gets: the whole answer, or the Protocol error. */
function strict<T>(read: TolerantRead<T> | undefined): T | undefined {
  if (read?.unreadable.length) throw read.unreadable[0]!.error;
  return read?.value as T | undefined;
}

/** GetEndpoint, tolerantly: undefined when the endpoint does not exist. */
export async function readEndpoint(client: ArkClient, id: string): Promise<TolerantRead<Endpoint> | undefined> {
  try {
    return { value: await client.call('GetEndpoint', { Id: id }), unreadable: [] };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    return salvaged<Endpoint>(error, EndpointReadSchema, id);
  }
}

export async function findEndpoint(client: ArkClient, id: string): Promise<Endpoint | undefined> {
  return strict(await readEndpoint(client, id));
}

/**
 * GetCustomModel, tolerantly, with `Status` from ListCustomModels (`Filter.Ids=[id]`) when Get leaves it out: the
 * 2026 Node SDK puts Status on List items only, older SDKs and the doc example on Get too (ark-api-2026.md F7),
 * so the reader takes the union. `Status` stays absent only when the List does not show the model either.
 */
export async function readCustomModel(client: ArkClient, id: string): Promise<TolerantRead<CustomModel> | undefined> {
  let read: TolerantRead<CustomModel>;
  try {
    read = { value: await client.call('GetCustomModel', { Id: id }), unreadable: [] };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    read = salvaged<CustomModel>(error, CustomModelReadSchema, id);
  }
  if (read.value.Status !== undefined) return read;
  const listed = await listTolerantly<'ListCustomModels', CustomModelItem>(
    client,
    'ListCustomModels',
    { ProjectName: read.value.ProjectName, Filter: { Ids: [id] } },
    CustomModelItemReadSchema,
  );
  const item = listed.items.find((m) => m.Id === id);
  // Only Status is taken from the List: the rest of its items does not matter here.
  const only = (unreadable: Unreadable[], keep: (field: string) => boolean) =>
    unreadable.map((u) => ({ ...u, fields: u.fields.filter(keep) })).filter((u) => u.fields.length > 0);
  if (item?.Status === undefined) return { ...read, unreadable: [...read.unreadable, ...only(listed.unreadable, (f) => f === 'Status')] };
  return {
    value: { ...read.value, Status: item.Status, StatusReason: read.value.StatusReason ?? item.StatusReason },
    // Status was read after all: only Get's other fields stay unread.
    unreadable: only(read.unreadable, (f) => f !== 'Status'),
  };
}

export async function findCustomModel(client: ArkClient, id: string): Promise<CustomModel | undefined> {
  return strict(await readCustomModel(client, id));
}

interface TolerantList<T> {
  items: (Partial<T> & { Id: string })[];
  unreadable: Unreadable[];
}

/**
 * Every item of a list, page by page as `ArkClient.listAll` reads them; a page the reader does not understand
 * keeps the items' fields that do match `itemSchema` (an item without a readable Id is skipped).
 */
async function listTolerantly<A extends 'ListEndpoints' | 'ListCustomModels', T>(
  client: ArkClient,
  action: A,
  request: Omit<ArkRequest<A>, 'PageNumber' | 'PageSize'>,
  itemSchema: z.ZodObject,
): Promise<TolerantList<T>> {
  const out: TolerantList<T> = { items: [], unreadable: [] };
  let seen = 0;
  for (let page = 1; ; page++) {
    let items: unknown[];
    let total: unknown;
    try {
      const result = await client.call(action, { ...request, PageNumber: page, PageSize: MAX_PAGE_SIZE } as ArkRequest<A>);
      ({ Items: items, TotalCount: total } = result);
      out.items.push(...(result.Items as TolerantList<T>['items']));
    } catch (error) {
      const raw = error instanceof ArkProtocolError ? (error.result as { Items?: unknown; TotalCount?: unknown } | undefined) : undefined;
      if (!Array.isArray(raw?.Items)) throw error;
      ({ Items: items, TotalCount: total } = raw as { Items: unknown[]; TotalCount?: unknown });
      const fields = new Set<string>();
      for (const item of items) {
        const got = salvage<T>(itemSchema, item);
        for (const field of got?.unreadable ?? ['(the item)']) fields.add(field);
        const id = (got?.value as { Id?: string } | undefined)?.Id;
        if (id !== undefined) out.items.push({ ...(got!.value as Partial<T>), Id: id });
      }
      if (out.unreadable.length === 0) out.unreadable.push({ action, fields: [...fields], error: error as ArkProtocolError });
    }
    seen += items.length;
    // As listAll: without TotalCount, a short page is the last one.
    const known = typeof total === 'number' ? total : items.length < MAX_PAGE_SIZE ? seen : Infinity;
    if (items.length === 0 || seen >= known) return out;
  }
}

export interface OwnedLookup {
  /** Exact name (the list filter only matches substrings). */
  name: string;
  owner: string;
  projectName?: string;
}

/** Endpoints carrying this name and owner tag that are not on their way out. */
export async function findOwnedEndpoints(client: ArkClient, lookup: OwnedLookup): Promise<Endpoint[]> {
  const items = await client.listAll('ListEndpoints', {
    ProjectName: lookup.projectName,
    Filter: { Name: lookup.name },
    TagFilters: [{ Key: OWNER_TAG_KEY, Values: [lookup.owner] }],
  });
  return items.filter((e) => e.Name === lookup.name && tagValue(e.Tags, OWNER_TAG_KEY) === lookup.owner && e.Status !== 'Deleting');
}

/** Custom models carrying this name and owner tag that are not on their way out. */
export async function findOwnedCustomModels(client: ArkClient, lookup: OwnedLookup): Promise<CustomModelItem[]> {
  const items = await client.listAll('ListCustomModels', {
    ProjectName: lookup.projectName,
    Filter: { Name: lookup.name },
    TagFilters: [{ Key: OWNER_TAG_KEY, Values: [lookup.owner] }],
  });
  return items.filter((m) => m.Name === lookup.name && tagValue(m.Tags, OWNER_TAG_KEY) === lookup.owner && m.Status !== 'Deleting');
}

/**
 * Every endpoint (any project) whose model reference is this custom model, read tolerantly: a delete needs only
 * their ids and statuses. An item whose ModelReference cannot be read is kept (the service's `CustomModelIds`
 * filter chose it).
 */
export async function findEndpointsUsingModel(client: ArkClient, customModelId: string): Promise<TolerantList<Endpoint>> {
  const listed = await listTolerantly<'ListEndpoints', Endpoint>(client, 'ListEndpoints', { Filter: { CustomModelIds: [customModelId] } }, EndpointReadSchema);
  return { ...listed, items: listed.items.filter((e) => e.ModelReference === undefined || e.ModelReference.CustomModelId === customModelId) };
}

/** `what: could not read …`: the warning a delete or refresh gives when it went on with part of an answer. */
export function unreadableWarning(what: string, unreadable: readonly Unreadable[], doing: string): string {
  const parts = unreadable.map((u) => `${u.fields.join(', ') || 'some fields'} of Ark's ${u.action} answer (${u.error.serviceMessage})`);
  return `${what}: could not read ${parts.join('; ')}; ${doing} with what it could read`;
}

export function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** User tags (a plain map) plus the owner tag, as the API wants them; sorted so comparisons are stable. */
export function toApiTags(userTags: Readonly<Record<string, string>> | undefined, owner: string): RequestTag[] {
  const tags = Object.entries(userTags ?? {})
    .filter(([key]) => key !== OWNER_TAG_KEY)
    .map(([Key, Value]) => ({ Key, Value }));
  tags.push({ Key: OWNER_TAG_KEY, Value: owner });
  return tags.sort((a, b) => a.Key.localeCompare(b.Key));
}

/** An answer's tags as a request would carry them (absent Value = ''), sorted by key, for comparisons. */
export function plainTags(tags: readonly Tag[] | undefined): RequestTag[] {
  return (tags ?? []).map((t) => ({ Key: t.Key, Value: t.Value ?? '' })).sort((a, b) => a.Key.localeCompare(b.Key));
}

/** The user's tags from an API tag list: everything but the owner tag. */
export function fromApiTags(tags: readonly Tag[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== OWNER_TAG_KEY) map[tag.Key] = tag.Value ?? '';
  return map;
}
