import { DEFAULT_PAGE_SIZE, type Tag, type TagFilter } from '../../provider/api/ark';
import { ArkApiError } from './errors';

/** Paging, sorting and tag filtering shared by ListEndpoints and ListCustomModels (ark-api.md §4). */

export interface ListableResource {
  Id: string;
  CreateTime: string;
  UpdateTime: string;
  Tags?: Tag[];
}

export interface ListControls {
  PageNumber?: number;
  PageSize?: number;
  SortBy?: 'CreateTime' | 'UpdateTime';
  SortOrder?: 'Asc' | 'Desc';
  TagFilters?: TagFilter[];
}

export type Page<T> = {
  TotalCount: number;
  PageNumber: number;
  PageSize: number;
  Items: T[];
};

/** Default order (inferred): newest first by CreateTime; Id breaks ties so paging is stable. */
export const DEFAULT_SORT_BY = 'CreateTime';
export const DEFAULT_SORT_ORDER = 'Desc';

export function listPage<T extends ListableResource>(items: T[], controls: ListControls): Page<T> {
  const filtered = items.filter((item) => matchesTagFilters(item.Tags ?? [], controls.TagFilters ?? []));
  const by = controls.SortBy ?? DEFAULT_SORT_BY;
  const sign = (controls.SortOrder ?? DEFAULT_SORT_ORDER) === 'Asc' ? 1 : -1;
  filtered.sort((a, b) => sign * (a[by] === b[by] ? cmp(a.Id, b.Id) : cmp(a[by], b[by])));
  const pageNumber = controls.PageNumber ?? 1;
  const pageSize = controls.PageSize ?? DEFAULT_PAGE_SIZE;
  const start = (pageNumber - 1) * pageSize;
  return { TotalCount: filtered.length, PageNumber: pageNumber, PageSize: pageSize, Items: filtered.slice(start, start + pageSize) };
}

/** Every filter must match: the resource has a tag with that Key and, when Values is non-empty, one of them. */
export function matchesTagFilters(tags: Tag[], filters: TagFilter[]): boolean {
  return filters.every((f) => tags.some((t) => t.Key === f.Key && (!f.Values?.length || f.Values.includes(t.Value ?? ''))));
}

/** Duplicate tag keys are refused with the documented `Duplicate.Tags.Key`. */
export function assertUniqueTagKeys(tags: Tag[] | undefined): void {
  const seen = new Set<string>();
  for (const tag of tags ?? []) {
    if (seen.has(tag.Key)) {
      throw new ArkApiError('Duplicate.Tags.Key', `Tags: the key "${tag.Key}" appears more than once; expected unique keys.`);
    }
    seen.add(tag.Key);
  }
}

/** Name filters match a case-sensitive substring (inferred; ListFoundationModels documents `Name` as fuzzy). */
export function nameMatches(name: string, filter: string | undefined): boolean {
  return filter === undefined || filter === '' || name.includes(filter);
}

export function inSet(value: string | undefined, set: string[] | undefined): boolean {
  return set === undefined || set.length === 0 || (value !== undefined && set.includes(value));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
