import { tosUri } from '../../api/tos';
import type { TosStorage } from '../../clients/tos/client';
import { validateModel } from '../../model/validate';
import type { ModelSourceSpec } from '../../sources/source-uri';
import { executeHubStream } from '../../sources/hub-stream-worker';
import { SourceChangedError } from '../../sources/tos-prefix';
import { normalizePrefix, relativeKey } from '../../sync/keys';
import { planIsEmpty, planTotals } from '../../sync/plan';
import { formatPlan } from '../../sync/progress';
import { executeRemoteSync, planRemoteSync, RemoteSyncError, type RemoteTarget } from '../../sync/remote-sync';
import { PartialFailureError, type CheckFailure, type ControllerContext } from '../controller';
import { resolveSource, SourceUnusableError, type ResolvedSource } from './remote-source';
import { detectModel, outputsOf, type SourceOutputs } from './outputs';
import type { Inputs, ManagedFile, Outputs } from './schema';

/**
 * TosModelDir over a source that is not on the runner: a TOS prefix (copied server-side, or used in place) or a
 * hub revision (streamed into TOS). Every decision reads listings and headers only; the version check pins what
 * an update deploys to what the preview saw.
 */

export type RemoteSpec = Exclude<ModelSourceSpec, { kind: 'local' }>;

/** Bucket and prefix both omitted: a tos:// source is imported where it is. */
export function isInPlace(inputs: Pick<Inputs, 'bucket' | 'prefix'>): boolean {
  return inputs.bucket === undefined && inputs.prefix === undefined;
}

// ---- check -----------------------------------------------------------------------------------------------

/** Resolves and validates the source, and sets (or holds to) `sourceVersion`. */
export async function checkRemoteSource(inputs: Inputs, spec: RemoteSpec, storage: TosStorage, ctx: ControllerContext): Promise<CheckFailure[]> {
  let resolved: ResolvedSource;
  try {
    resolved = await resolveSource(spec, inputs.exclude, storage, ctx);
  } catch (error) {
    if (error instanceof SourceUnusableError) return [{ property: 'source', reason: error.message }];
    throw error;
  }
  if (inputs.sourceVersion !== undefined && inputs.sourceVersion !== resolved.version) {
    return [{ property: 'sourceVersion', reason: `expected ${inputs.source} at version ${inputs.sourceVersion}, found it at ${resolved.version}` }];
  }
  inputs.sourceVersion = resolved.version;
  const report = await validateModel(resolved.fileSource, { baseModel: inputs.baseModel });
  for (const w of report.warnings) ctx.log.warn(`${resolved.describe}: ${w.message}`);
  return report.errors.map((e) => ({ property: 'source', reason: `${resolved.describe}${e.file ?? ''}: ${e.message}` }));
}

// ---- diff ------------------------------------------------------------------------------------------------

/**
 * Content changes when the source's version differs from the deployed one; a copy's objects are also compared
 * with the source (drift). One listing of the source and one of the target; nothing is read or written.
 */
export async function diffRemoteContent(olds: Outputs, news: Inputs, spec: RemoteSpec, storage: TosStorage, ctx: ControllerContext): Promise<string[]> {
  const resolved = await resolveSource(spec, news.exclude, storage, ctx);
  const changed: string[] = [];
  if (resolved.version !== olds.sourceVersion) {
    ctx.log.info(`${resolved.describe}: content changed (version ${olds.sourceVersion ?? 'none'} -> ${resolved.version})`);
    changed.push('content');
  }
  if (!isInPlace(news)) {
    const planned = await planRemoteSync(storage, resolved.transfer, resolved.files, targetOf(news));
    ctx.log.info(`diff ${formatPlan(olds.location, planned.plan, planTotals(planned.plan)).replace('to upload', 'to copy')}`);
    if (changed.length === 0 && !planIsEmpty(planned.plan)) changed.push('remote drift');
  }
  return changed;
}

// ---- create / update -------------------------------------------------------------------------------------

/**
 * Deploys the source at `inputs.sourceVersion`: a copy (server-side or streamed) into bucket/prefix, or, in
 * place, the listing itself. A source found at another version than the checked one fails before anything is
 * written: the preview showed that version, and a moved source must not be deployed in part.
 */
export async function deployRemote(inputs: Inputs, spec: RemoteSpec, storage: TosStorage, ctx: ControllerContext, opts: { foreignCheck?(planned: { remote: { key: string }[] }): Promise<void> }): Promise<Outputs> {
  const resolved = await resolveSource(spec, inputs.exclude, storage, ctx);
  if (inputs.sourceVersion !== undefined && resolved.version !== inputs.sourceVersion) {
    throw new SourceChangedError(
      `${inputs.source}: expected the version checked at preview, ${inputs.sourceVersion}, found ${resolved.version}: the source changed since, so nothing was deployed; run \`pulumi preview\` to see the new content and \`pulumi up\` to deploy it`,
    );
  }
  const detected = await detectModel(inputs, resolved.fileSource);
  if (isInPlace(inputs)) {
    const tos = resolved.tos!;
    const files = resolved.files.map((f) => ({ path: f.path, size: f.size, crc64: f.fingerprint }));
    ctx.log.info(`${resolved.describe}: used in place (${files.length} files, nothing copied)`);
    return outputsOf(inputs, tos, sourceOutputs(inputs, resolved), detected, files);
  }
  const target = targetOf(inputs);
  const planned = await planRemoteSync(storage, resolved.transfer, resolved.files, target);
  await opts.foreignCheck?.(planned);
  const byPath = new Map(planned.remote.map((o) => [relativeKey(target.prefix, o.key), o]));
  const unchanged = planned.plan.unchanged.map((i) => managedFile(resolved, i.path, i.size, byPath.get(i.path)?.crc64));
  const location = tosUri(target.bucket, target.prefix);
  try {
    const tuning = tuningOf(inputs, ctx);
    const written = resolved.hub
      ? await executeHubStream({ settings: ctx.settings(), model: resolved.hub, files: resolved.files, target, planned, tuning: { owner: tuning.owner, concurrency: tuning.concurrency, partSize: tuning.partSize } }, ctx.log, ctx.signal)
      : await executeRemoteSync(storage, resolved.transfer, resolved.files, target, planned, tuning, ctx.log);
    ctx.log.info(`${location}: in sync with ${resolved.describe} (${resolved.files.length} files)`);
    return outputsOf(inputs, target, sourceOutputs(inputs, resolved), detected, [...unchanged, ...written.map((w) => managedFile(resolved, w.path, w.size, w.crc64))]);
  } catch (error) {
    if (!(error instanceof RemoteSyncError)) throw error;
    const verified = [...unchanged, ...error.written.map((w) => managedFile(resolved, w.path, w.size, w.crc64))];
    const unverified = error.unverified.map((i) => ({ path: i.path, size: i.size }));
    const partial = outputsOf(inputs, target, sourceOutputs(inputs, resolved), detected, [...verified, ...unverified]);
    // A moved source already says what to do; anything else is resumed by running again.
    const next = error.cause instanceof SourceChangedError ? 'The objects that arrived are kept.' : 'The objects that arrived are kept; run `pulumi up` again to resume.';
    throw new PartialFailureError(location, partial, `${error.message}. ${next}`);
  }
}

// ---- helpers ---------------------------------------------------------------------------------------------

function targetOf(inputs: Inputs): RemoteTarget {
  return { bucket: inputs.bucket!, prefix: normalizePrefix(inputs.prefix!), deleteRemoved: inputs.deleteRemoved };
}

function tuningOf(inputs: Inputs, ctx: ControllerContext) {
  return { owner: inputs.owner, concurrency: inputs.uploadConcurrency, partSize: inputs.partSize, signal: ctx.signal };
}

/** A file as the state keeps it: TOS's CRC64, and for a hub file the hub's identity it was streamed from. */
function managedFile(resolved: ResolvedSource, path: string, size: number, crc64: string | undefined): ManagedFile {
  const file: ManagedFile = crc64 ? { path, size, crc64 } : { path, size };
  if (resolved.kind === 'hub') {
    const source = resolved.files.find((f) => f.path === path)?.fingerprint;
    if (source) file.source = source;
  }
  return file;
}

function sourceOutputs(inputs: Inputs, resolved: ResolvedSource): SourceOutputs {
  return { sourceKind: resolved.kind, inPlace: isInPlace(inputs), sourceVersion: resolved.version };
}
