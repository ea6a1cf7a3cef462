import * as path from 'node:path';
import { tosUri } from '../../api/tos';
import { regionMismatch } from '../../clients/tos/bucket-region';
import { TosStorage, warnOnRetry } from '../../clients/tos/client';
import { localModelSource } from '../../model/source';
import { validateModel } from '../../model/validate';
import { ModelDirError, walkModelDir } from '../../model/walk';
import { syncCacheDir } from '../../sync/cache-dir';
import { statCheckFromEnv } from '../../sync/stat-cache';
import { contentDigest } from '../../sync/digest';
import {
  abortOpenUploads,
  executePlan,
  findForeignObjects,
  planSync,
  SyncError,
  type PlannedSync,
  type SyncEnv,
  type SyncTarget,
} from '../../sync/engine';
import { assertInsidePrefix, keyFor, normalizePrefix } from '../../sync/keys';
import { isHashed } from '../../sync/manifest';
import { parseModelSource, type ModelSourceSpec } from '../../sources/source-uri';
import { planIsEmpty, planTotals } from '../../sync/plan';
import { formatPlan } from '../../sync/progress';
import {
  isUnknown,
  PartialFailureError,
  type CheckFailure,
  type ControllerContext,
  type DiffResult,
  type ResourceController,
} from '../controller';
import { MAX_OBJECT_KEY_BYTES, utf8Bytes } from '../common-inputs';
import { TOS_LOCATION_PATTERN } from '../custom-model/schema';
import { checkWithSchema, isImportRead } from '../properties';
import { detectModel, managedTotals, outputsOf, type SourceOutputs } from './outputs';
import { checkRemoteSource, deployRemote, diffRemoteContent, isInPlace } from './remote';
import { InputsSchema, type Inputs, type ManagedFile, type Outputs } from './schema';

// ---- constants -------------------------------------------------------------------------------------------

/** Inputs whose change means a different set of objects: upload the new copy, then delete the old one. */
export const REPLACE_ON_CHANGES = ['bucket', 'prefix'] as const;

/** Inputs compared one to one in diff (content is compared through the digest and the remote plan). */
const PLAIN_INPUTS = ['source', 'createBucket', 'deleteRemoved', 'uploadConcurrency', 'partSize', 'adoptExisting', 'owner'] as const;

/** What the outputs say of a local directory's source. */
const LOCAL_SOURCE: SourceOutputs = { sourceKind: 'local', inPlace: false };

/** How many foreign keys an error message lists before saying "and N more". */
const FOREIGN_EXAMPLES = 5;

// ---- check -----------------------------------------------------------------------------------------------

/**
 * Validates the inputs (zod), normalises the prefix, and runs the model validator over the directory so a
 * broken model fails at preview, before any byte is uploaded. Fields holding the preview UNKNOWN sentinel are
 * passed through and their value-dependent checks skipped.
 */
async function check(_olds: Partial<Inputs>, news: Record<string, unknown>, ctx: ControllerContext) {
  const { inputs, failures } = checkWithSchema(InputsSchema, news);
  if (!inputs) return { failures };
  if (inputs.prefix !== undefined && !isUnknown(inputs.prefix)) inputs.prefix = normalizePrefix(inputs.prefix);

  const spec = isUnknown(inputs.source) ? undefined : parseModelSource(inputs.source);
  if (spec && 'error' in spec) return { inputs, failures: [...failures, { property: 'source', reason: spec.error }] };
  failures.push(...targetFailures(inputs, spec));
  if (failures.length > 0) return { inputs, failures };
  if (spec && !isUnknown(inputs.exclude) && !isUnknown(inputs.baseModel)) {
    if (spec.kind === 'local') failures.push(...(await validateDirectory(inputs, ctx)));
    else failures.push(...(await checkRemoteSource(inputs, spec, storageOf(ctx), ctx)));
  }
  if (inputs.bucket !== undefined && !isUnknown(inputs.bucket) && !isUnknown(inputs.createBucket) && !inputs.createBucket) {
    // A read-only HEAD, so a missing bucket or one in another region fails the preview instead of the `up`.
    const head = await storageOf(ctx).headBucket(inputs.bucket);
    const elsewhere = head && regionMismatch(inputs.bucket, head.region, ctx.settings().region);
    if (!head) failures.push({ property: 'bucket', reason: missingBucketReason(inputs.bucket) });
    else if (elsewhere) failures.push({ property: 'bucket', reason: elsewhere });
  }
  return failures.length > 0 ? { inputs, failures } : { inputs };
}

/**
 * bucket and prefix go together: both name where the model is uploaded or copied to, and only a tos:// source
 * may omit both (it is then used where it is).
 */
function targetFailures(inputs: Inputs, spec: ModelSourceSpec | undefined): CheckFailure[] {
  if (inputs.bucket !== undefined && inputs.prefix === undefined) return [{ property: 'prefix', reason: 'expected a prefix with bucket: the key prefix to upload or copy into, e.g. "models/qwen-sft/v3/"' }];
  if (inputs.bucket === undefined && inputs.prefix !== undefined) return [{ property: 'bucket', reason: 'expected a bucket with prefix: the TOS bucket to upload or copy into' }];
  if (spec && spec.kind !== 'tos' && isInPlace(inputs)) {
    return [{ property: 'bucket', reason: `expected bucket and prefix to ${spec.kind === 'local' ? 'upload the directory' : 'stream the hub files'} into; only a tos:// source can be used in place (bucket and prefix omitted)` }];
  }
  return [];
}

async function validateDirectory(inputs: Inputs, ctx: ControllerContext): Promise<CheckFailure[]> {
  const root = path.resolve(inputs.source);
  let files;
  try {
    files = await walkModelDir(root, { exclude: inputs.exclude });
  } catch (error) {
    if (error instanceof ModelDirError) return [{ property: 'source', reason: error.message }];
    throw error;
  }
  const report = await validateModel(localModelSource(root, files), { baseModel: inputs.baseModel });
  for (const w of report.warnings) ctx.log.warn(`${root}: ${w.message}`);
  const failures = report.errors.map((e) => ({ property: 'source', reason: `${e.file ? `${e.file}: ` : ''}${e.message}` }));
  if (inputs.prefix !== undefined && !isUnknown(inputs.prefix)) failures.push(...keyLengthFailures(normalizePrefix(inputs.prefix), files));
  return failures;
}

/** Every object key is `prefix + relative path`, and TOS keys are at most MAX_OBJECT_KEY_BYTES (common-inputs.ts). */
function keyLengthFailures(prefix: string, files: readonly { path: string }[]): CheckFailure[] {
  const longest = files.reduce<{ path: string; bytes: number } | undefined>((best, f) => {
    const bytes = utf8Bytes(prefix + f.path);
    return !best || bytes > best.bytes ? { path: f.path, bytes } : best;
  }, undefined);
  if (!longest || longest.bytes <= MAX_OBJECT_KEY_BYTES) return [];
  return [
    {
      property: 'prefix',
      reason: `the object key for ${longest.path} would be ${longest.bytes} bytes; TOS object keys are at most ${MAX_OBJECT_KEY_BYTES} bytes. Use a shorter prefix (or file names)`,
    },
  ];
}

// ---- diff ------------------------------------------------------------------------------------------------

/**
 * bucket/prefix changes replace. Otherwise an update is needed when any input changed, the local content
 * digest differs from the state's, or TOS no longer matches the directory (drift). Listing and HEADs only:
 * nothing is written during preview. The file-level plan is logged so the preview says what will move.
 */
async function diff(_id: string, olds: Outputs, news: Inputs, ctx: ControllerContext): Promise<DiffResult> {
  const replaces = replacingInputs(olds, news);
  if (replaces.length > 0) {
    ctx.log.info(`${olds.location}: ${replaces.join(' and ')} changed; a new copy is made, then the old objects are deleted`);
    return { changes: true, changed: replaces, replaces, deleteBeforeReplace: false };
  }

  const changed = PLAIN_INPUTS.filter((k) => isUnknown(news[k]) || news[k] !== olds[k]) as string[];
  if (isUnknown(news.baseModel) || news.baseModel !== olds.baseModelInput) changed.push('baseModel');
  if (isUnknown(news.exclude) || JSON.stringify(news.exclude ?? []) !== JSON.stringify(olds.exclude ?? [])) changed.push('exclude');
  if (isUnknown(news.source) || isUnknown(news.exclude)) return { changes: true, changed: [...new Set([...changed, 'source'])] };

  const spec = sourceSpec(news);
  if (spec.kind !== 'local') {
    changed.push(...(await diffRemoteContent(olds, news, spec, storageOf(ctx), ctx)));
    if (changed.length > 0) ctx.log.info(`${olds.location}: update needed (${changed.join(', ')})`);
    // New content is a new version (the detailed diff shows the old and the new commit or digest); drift is a
    // change of what `source` stands for in TOS.
    const properties = changed.map((k) => (k === 'content' ? 'sourceVersion' : k === 'remote drift' ? 'source' : k));
    return { changes: changed.length > 0, changed: [...new Set(properties)] };
  }
  const planned = await planSync(targetOf(news), envOf(ctx));
  const drift = !planIsEmpty(planned.plan);
  ctx.log.info(`diff ${formatPlan(olds.location, planned.plan, planTotals(planned.plan))}`);
  // A file not hashed in the plan has no same-size object in TOS: it is an upload, so content or drift.
  const hashed = planned.manifest.files.filter(isHashed);
  const sameDigest = hashed.length === planned.manifest.files.length && contentDigest(hashed) === olds.contentDigest;
  if (!sameDigest) changed.push('content');
  else if (drift) changed.push('remote drift');
  if (changed.length > 0) ctx.log.info(`${olds.location}: update needed (${changed.join(', ')})`);
  // New content or remote drift is a change of what `source` stands for: the detailed diff names `source`.
  const properties = changed.map((k) => (k === 'content' || k === 'remote drift' ? 'source' : k));
  return { changes: changed.length > 0, changed: [...new Set(properties)] };
}

/**
 * Where the objects live decides replacement: another bucket or prefix is a new copy, and so is a switch
 * between a copy and a tos:// source used in place (the copy's objects must go, or come to be).
 */
function replacingInputs(olds: Outputs, news: Inputs): string[] {
  const replaces: string[] = [];
  const wasInPlace = olds.inPlace === true;
  if (isUnknown(news.bucket) || isUnknown(news.prefix)) return ['bucket', 'prefix'];
  if (wasInPlace !== isInPlace(news)) return ['bucket', 'prefix'];
  if (wasInPlace) return [];
  if (news.bucket !== olds.bucket) replaces.push('bucket');
  if (normalizePrefix(news.prefix!) !== olds.prefix) replaces.push('prefix');
  return replaces;
}

// ---- create ----------------------------------------------------------------------------------------------

/**
 * Uploads the directory. A prefix already holding objects this resource did not write is refused unless
 * adoptExisting (objects carrying this resource's owner tag are its own, from an interrupted earlier run, and
 * are resumed). A sync that fails after uploading something raises a partial-create error carrying what did
 * arrive, so the next `up` continues with an update instead of losing track of the objects.
 */
async function create(inputs: Inputs, ctx: ControllerContext): Promise<{ id: string; outs: Outputs }> {
  const spec = sourceSpec(inputs);
  const storage = storageOf(ctx);
  const foreignCheck = async (planned: { remote: { key: string }[] }) => {
    if (planned.remote.length === 0 || inputs.adoptExisting) return;
    await refuseForeignObjects(storage, inputs, planned.remote);
  };
  if (spec.kind !== 'local') {
    if (!isInPlace(inputs)) await ensureBucket(storage, inputs);
    const outs = await deployRemote(inputs, spec, storage, ctx, { foreignCheck });
    return { id: outs.location, outs };
  }
  const target = targetOf(inputs);
  const env = envOf(ctx);
  const location = tosUri(target.bucket, target.prefix);
  await ensureBucket(env.storage, inputs);
  const planned = await planSync(target, env);
  await foreignCheck(planned);
  const outs = await runSync(location, inputs, planned, env, ctx);
  return { id: location, outs };
}

/** A prefix holding objects this resource did not write is refused, unless adoptExisting. */
async function refuseForeignObjects(storage: TosStorage, inputs: Inputs, remote: readonly { key: string }[]): Promise<void> {
  const location = tosUri(inputs.bucket!, normalizePrefix(inputs.prefix!));
  const foreign = await findForeignObjects(storage, inputs.bucket!, remote, inputs.owner);
  if (foreign.length === 0) return;
  const examples = foreign.slice(0, FOREIGN_EXAMPLES).join(', ') + (foreign.length > FOREIGN_EXAMPLES ? `, and ${foreign.length - FOREIGN_EXAMPLES} more` : '');
  throw new Error(
    `${location}: expected an empty prefix or one holding only objects written by ${inputs.owner}, found ${foreign.length} other object(s): ${examples}. Choose another prefix, or set adoptExisting: true to sync into it (deleteRemoved then deletes objects the source does not have).`,
  );
}

// ---- read ------------------------------------------------------------------------------------------------

/**
 * Refresh: the managed files as TOS has them now. A deleted object drops out of `files`, an overwritten one
 * takes the remote size/crc64, so contentDigest moves and the next preview shows an update. When the bucket
 * is gone or none of the managed objects remain, the resource is gone.
 */
async function read(id: string, props: Outputs, ctx: ControllerContext) {
  if (isImportRead(props, 'files')) throw new Error(IMPORT_REFUSED);
  const storage = storageOf(ctx);
  if (!(await storage.bucketExists(props.bucket))) return {};
  const listed = new Map((await storage.listPrefix(props.bucket, props.prefix)).map((o) => [o.key, o]));
  const files: ManagedFile[] = [];
  for (const f of props.files) {
    const o = listed.get(keyFor(props.prefix, f.path));
    if (!o) continue;
    const now = toManaged({ path: f.path, size: o.size, crc64: o.crc64 ?? (await storage.head(props.bucket, o.key))?.crc64 });
    // A hub file's identity holds only while the object is the one streamed from it.
    if (f.source && now.size === f.size && now.crc64 === f.crc64) now.source = f.source;
    files.push(now);
  }
  if (files.length === 0 && props.files.length > 0) return {};
  return { id, props: { ...props, ...managedTotals(files) } };
}

/**
 * By the id alone (no stored state, so no list of managed files): the directory is there while its bucket is
 * and anything lies under its prefix. An id that is no `tos://bucket/prefix/` names no TosModelDir.
 */
async function exists(id: string, ctx: ControllerContext): Promise<boolean> {
  const match = TOS_LOCATION_PATTERN.exec(id);
  if (!match) return false;
  const storage = storageOf(ctx);
  return (await storage.bucketExists(match[1])) && (await storage.listPrefix(match[1], match[2])).length > 0;
}

/**
 * A TosModelDir is a local directory mirrored to TOS: the directory is an input TOS cannot tell, so there is
 * nothing to import. Declaring the resource over the existing prefix does the same job without a copy.
 */
const IMPORT_REFUSED =
  'TosModelDir cannot be imported: it mirrors a local directory, which TOS cannot tell. Declare it in the program ' +
  'with the same bucket and prefix and `adoptExisting: true`: the first `pulumi up` uploads only what differs.';

// ---- update ----------------------------------------------------------------------------------------------

/** Re-sync: uploads what changed, deletes what was removed, leaves unchanged objects alone. */
async function update(_id: string, _olds: Outputs, news: Inputs, ctx: ControllerContext): Promise<{ outs: Outputs }> {
  const spec = sourceSpec(news);
  if (spec.kind !== 'local') {
    const storage = storageOf(ctx);
    if (!isInPlace(news)) await ensureBucket(storage, news);
    return { outs: await deployRemote(news, spec, storage, ctx, {}) };
  }
  const target = targetOf(news);
  const env = envOf(ctx);
  await ensureBucket(env.storage, news);
  const planned = await planSync(target, env);
  return { outs: await runSync(tosUri(target.bucket, target.prefix), news, planned, env, ctx) };
}

// ---- delete ----------------------------------------------------------------------------------------------

/**
 * Deletes exactly the managed objects (anything else under or outside the prefix is left alone) and aborts
 * every open multipart upload under the prefix.
 */
async function del(_id: string, props: Outputs, ctx: ControllerContext): Promise<void> {
  // A source used in place is somebody else's data: it was never this resource's to delete.
  if (props.inPlace === true) {
    ctx.log.info(`${props.location}: used in place; its objects are left as they are`);
    return;
  }
  const storage = storageOf(ctx);
  if (!(await storage.bucketExists(props.bucket))) return;
  const keys = props.files.map((f) => keyFor(props.prefix, f.path));
  for (const key of keys) assertInsidePrefix(props.prefix, key);
  await storage.deleteKeys(props.bucket, keys);
  // An interrupted sync may have left multipart uploads open (billed until aborted); the prefix is ours.
  const aborted = await abortOpenUploads(storage, props.bucket, props.prefix);
  ctx.log.info(`${props.location}: deleted ${keys.length} managed object(s)${aborted > 0 ? `, aborted ${aborted} open multipart upload(s)` : ''}`);
}

export const tosModelDirController: ResourceController<Inputs, Outputs> = { check, diff, create, read, exists, update, delete: del };
export const controller = tosModelDirController;

// ---- helpers ---------------------------------------------------------------------------------------------

function storageOf(ctx: ControllerContext): TosStorage {
  return new TosStorage(ctx.settings(), {
    signal: ctx.signal,
    onRetry: warnOnRetry((line) => ctx.log.warn(line)),
  });
}

function envOf(ctx: ControllerContext): SyncEnv {
  return { storage: storageOf(ctx), cacheDir: syncCacheDir(), statCheck: statCheckFromEnv(), log: ctx.log };
}

function targetOf(inputs: Inputs): SyncTarget {
  return {
    source: path.resolve(inputs.source),
    bucket: inputs.bucket!,
    prefix: normalizePrefix(inputs.prefix!),
    exclude: inputs.exclude,
    deleteRemoved: inputs.deleteRemoved,
  };
}

function missingBucketReason(bucket: string): string {
  return `expected an existing TOS bucket ${bucket}, found none; create it, or set createBucket: true`;
}

/** The parsed source of inputs that passed check. */
function sourceSpec(inputs: Inputs): ModelSourceSpec {
  const spec = parseModelSource(inputs.source);
  if ('error' in spec) throw new Error(`source: ${spec.error}`);
  return spec;
}

async function ensureBucket(storage: TosStorage, inputs: Inputs): Promise<void> {
  const bucket = inputs.bucket!;
  if (await storage.bucketExists(bucket)) return;
  if (!inputs.createBucket) throw new Error(`bucket ${bucket}: ${missingBucketReason(bucket)}`);
  await storage.createBucket(bucket);
}

/** Executes the plan and maps the result to outputs; a failure mid-way becomes a partial-failure error. */
async function runSync(location: string, inputs: Inputs, planned: PlannedSync, env: SyncEnv, ctx: ControllerContext): Promise<Outputs> {
  const detected = await detectModel(inputs, localModelSource(inputs.source, [...planned.manifest.files]));
  const where = { bucket: inputs.bucket!, prefix: normalizePrefix(inputs.prefix!) };
  try {
    await executePlan(targetOf(inputs), planned, env, {
      owner: inputs.owner,
      uploadConcurrency: inputs.uploadConcurrency,
      partSize: inputs.partSize,
      signal: ctx.signal,
    });
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    // The manifest entries of uploaded files carry the fingerprint taken on the way. Objects whose content
    // nobody verified are kept without one: a destroy still deletes them, the next sync uploads them again.
    const byPath = new Map(planned.manifest.files.map((f) => [f.path, f]));
    const verified = [...planned.plan.unchanged, ...error.uploaded].map((i) => toManaged(byPath.get(i.path) ?? i));
    const unverified = error.unverified.map((i) => toManaged({ path: i.path, size: i.size }));
    const partial = outputsOf(inputs, where, LOCAL_SOURCE, detected, [...verified, ...unverified]);
    throw new PartialFailureError(location, partial, `${error.message}. The objects that arrived are kept; run \`pulumi up\` again to resume.`);
  }
  ctx.log.info(`${location}: in sync (${planned.manifest.files.length} files)`);
  return outputsOf(inputs, where, LOCAL_SOURCE, detected, planned.manifest.files.map(toManaged));
}

/**
 * A managed file as the state holds it. A CRC64 nobody reported stays absent (unknown), never an empty-string
 * stand-in that would look like a fingerprint: the plan re-uploads such a file (`remote checksum unknown`).
 */
function toManaged(f: { path: string; size: number; crc64?: string }): ManagedFile {
  return f.crc64 ? { path: f.path, size: f.size, crc64: f.crc64 } : { path: f.path, size: f.size };
}
