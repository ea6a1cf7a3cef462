import { assertInsidePrefix, keyFor, relativeKey } from './keys';

export interface LocalFile {
  path: string;
  size: number;
  /** Absent when not hashed yet; only a file with no same-size remote object may lack it. */
  crc64?: string;
}

/** An object under the prefix. `crc64` may be absent if neither the listing nor a HEAD reported one. */
export interface RemoteFile {
  key: string;
  size: number;
  crc64?: string;
}

export type PlanAction = 'upload' | 'replace' | 'delete-remote' | 'unchanged';

export interface PlanItem {
  action: PlanAction;
  path: string;
  key: string;
  /** Local size for upload/replace/unchanged, remote size for delete-remote. */
  size: number;
  crc64?: string;
  /** Why a replace: which of size/checksum differs. */
  reason?: string;
}

export interface SyncPlan {
  prefix: string;
  upload: PlanItem[];
  replace: PlanItem[];
  deleteRemote: PlanItem[];
  unchanged: PlanItem[];
  /** Objects under the prefix that the plan neither deletes nor matches (kept because deleteRemoved is off). */
  kept: PlanItem[];
}

export interface PlanInput {
  prefix: string;
  local: readonly LocalFile[];
  remote: readonly RemoteFile[];
  /** Delete objects under the prefix that have no local file. */
  deleteRemoved: boolean;
  /**
   * What `crc64` holds, for the reasons given: 'crc64' (default), or 'source' when both sides carry the
   * fingerprint a remote source gave the content (a hub oid recorded on the object).
   */
  fingerprintName?: 'crc64' | 'source';
}

/**
 * The file-level difference between a local manifest and the objects under the prefix. Pure: no I/O, so every
 * decision is table-tested. Remote keys that are not plain files under the prefix (directory markers, keys
 * with empty or dot segments) are ignored, and every delete is asserted to lie inside the prefix.
 */
export function computePlan(input: PlanInput): SyncPlan {
  const plan: SyncPlan = { prefix: input.prefix, upload: [], replace: [], deleteRemote: [], unchanged: [], kept: [] };
  const remoteByPath = new Map<string, RemoteFile>();
  for (const r of input.remote) {
    const rel = relativeKey(input.prefix, r.key);
    if (rel !== undefined) remoteByPath.set(rel, r);
  }
  const localPaths = new Set<string>();
  const named = input.fingerprintName ?? 'crc64';
  for (const l of input.local) {
    localPaths.add(l.path);
    const key = keyFor(input.prefix, l.path);
    const item = { path: l.path, key, size: l.size, crc64: l.crc64 };
    const r = remoteByPath.get(l.path);
    if (!r) plan.upload.push({ action: 'upload', ...item });
    else if (r.size !== l.size) plan.replace.push({ action: 'replace', ...item, reason: `size ${r.size} -> ${l.size}` });
    else if (r.crc64 === undefined) plan.replace.push({ action: 'replace', ...item, reason: named === 'crc64' ? 'remote checksum unknown' : 'source of the remote object unknown' });
    else if (l.crc64 === undefined) plan.replace.push({ action: 'replace', ...item, reason: 'local checksum unknown' });
    else if (r.crc64 !== l.crc64) plan.replace.push({ action: 'replace', ...item, reason: `${named} ${r.crc64} -> ${l.crc64}` });
    else plan.unchanged.push({ action: 'unchanged', ...item });
  }
  for (const [rel, r] of remoteByPath) {
    if (localPaths.has(rel)) continue;
    const item: PlanItem = { action: 'delete-remote', path: rel, key: r.key, size: r.size, crc64: r.crc64 };
    if (input.deleteRemoved) {
      assertInsidePrefix(input.prefix, r.key);
      plan.deleteRemote.push(item);
    } else {
      plan.kept.push({ ...item, action: 'unchanged' });
    }
  }
  for (const list of [plan.upload, plan.replace, plan.deleteRemote, plan.unchanged, plan.kept]) {
    list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return plan;
}

/** True when executing the plan would change nothing remotely. */
export function planIsEmpty(plan: SyncPlan): boolean {
  return plan.upload.length === 0 && plan.replace.length === 0 && plan.deleteRemote.length === 0;
}

function sumBytes(items: readonly PlanItem[]): number {
  return items.reduce((n, i) => n + i.size, 0);
}

export interface PlanTotals {
  uploadFiles: number;
  uploadBytes: number;
  deleteFiles: number;
  unchangedFiles: number;
}

export function planTotals(plan: SyncPlan): PlanTotals {
  return {
    uploadFiles: plan.upload.length + plan.replace.length,
    uploadBytes: sumBytes(plan.upload) + sumBytes(plan.replace),
    deleteFiles: plan.deleteRemote.length,
    unchangedFiles: plan.unchanged.length,
  };
}
