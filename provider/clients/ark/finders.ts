import type { CustomModel, Endpoint, RequestTag, Tag } from '../../api/ark';
import { OWNER_TAG_KEY } from '../../resources/dynamic-shim';
import type { ArkClient } from './client';
import { isNotFound } from './errors';

/**
 * Finders: one place where "not found" becomes `undefined`, and where a resource this stack made earlier is
 * recognised (exact name + owner tag), so creates can adopt instead of duplicating.
 */

export async function findEndpoint(client: ArkClient, id: string): Promise<Endpoint | undefined> {
  try {
    return await client.call('GetEndpoint', { Id: id });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function findCustomModel(client: ArkClient, id: string): Promise<CustomModel | undefined> {
  try {
    return await client.call('GetCustomModel', { Id: id });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
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
export async function findOwnedCustomModels(client: ArkClient, lookup: OwnedLookup): Promise<CustomModel[]> {
  const items = await client.listAll('ListCustomModels', {
    ProjectName: lookup.projectName,
    Filter: { Name: lookup.name },
    TagFilters: [{ Key: OWNER_TAG_KEY, Values: [lookup.owner] }],
  });
  return items.filter((m) => m.Name === lookup.name && tagValue(m.Tags, OWNER_TAG_KEY) === lookup.owner && m.Status !== 'Deleting');
}

/** Every endpoint (any project) whose model reference is this custom model. */
export async function findEndpointsUsingModel(client: ArkClient, customModelId: string): Promise<Endpoint[]> {
  const items = await client.listAll('ListEndpoints', { Filter: { CustomModelIds: [customModelId] } });
  return items.filter((e) => e.ModelReference.CustomModelId === customModelId);
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
