import { tosUri } from '../../api/tos';
import { regionMismatch } from '../../clients/tos/bucket-region';
import type { TosStorage } from '../../clients/tos/client';
import { TosCallError } from '../../clients/tos/errors';
import type { ModelFileSource } from '../../model/source';
import { HubError, hubModelFileSource, resolveHubModel, type ResolvedHubModel } from '../../sources/hub';
import { hubStreamTransfer } from '../../sources/hub-transfer';
import { selectModelFiles } from '../../sources/select';
import type { ModelSourceSpec } from '../../sources/source-uri';
import { listTosSource, tosCopyTransfer, tosModelFileSource } from '../../sources/tos-prefix';
import { contentDigest } from '../../sync/digest';
import type { SourceFile, SourceTransfer } from '../../sync/remote-sync';
import type { ControllerContext } from '../controller';

/**
 * A tos:// or hf:// source resolved to what the sync and the validator need: its files with their
 * fingerprints, a byte-range view for the validator, the way its bytes reach TOS, and the version that pins it
 * (the hub commit, or the digest of the TOS listing). Resolving reads listings only.
 */
export interface ResolvedSource {
  kind: 'tos' | 'hub';
  /** `tos://bucket/prefix/` or `hf://owner/name@commit`. */
  describe: string;
  files: SourceFile[];
  fileSource: ModelFileSource;
  transfer: SourceTransfer;
  /** The hub commit, or the TOS listing's content digest (over (path, size, CRC64): a local upload's digest). */
  version: string;
  /** The TOS prefix the files live under, for a tos:// source. */
  tos?: { bucket: string; prefix: string };
  /** The hub revision at its commit (the selected files), for an hf:// source: what the stream thread reads. */
  hub?: ResolvedHubModel;
}

/** The source cannot be used at all (gone, elsewhere, unreadable): a check failure, not a crash. */
export class SourceUnusableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceUnusableError';
  }
}

export async function resolveSource(
  spec: Exclude<ModelSourceSpec, { kind: 'local' }>,
  exclude: readonly string[],
  storage: TosStorage,
  ctx: ControllerContext,
): Promise<ResolvedSource> {
  return spec.kind === 'tos' ? resolveTosSource(spec, exclude, storage, ctx) : resolveHubSource(spec, exclude, storage, ctx);
}

/**
 * The revision (a branch may move) is resolved to its commit once; everything after reads at the commit, so a
 * validation, a plan and a stream all see the same files.
 */
async function resolveHubSource(spec: { repo: string; revision: string }, exclude: readonly string[], storage: TosStorage, ctx: ControllerContext): Promise<ResolvedSource> {
  const settings = ctx.settings();
  if (!settings.hubEndpoint) throw new SourceUnusableError(`hf://${spec.repo}: no hub endpoint is set (ark:hubEndpoint or HF_ENDPOINT)`);
  let model: ResolvedHubModel;
  try {
    model = await resolveHubModel({ hubUrl: settings.hubEndpoint, repo: spec.repo, revision: spec.revision, token: settings.hubToken }, { signal: ctx.signal });
  } catch (error) {
    if (error instanceof HubError) throw new SourceUnusableError(error.message);
    throw error;
  }
  const selected: ResolvedHubModel = { ...model, files: selectModelFiles(model.files, exclude) };
  const describe = `hf://${spec.repo}@${model.commit}/`;
  if (selected.files.length === 0) throw new SourceUnusableError(`${describe}: expected the model's files in the repository, found none`);
  const files = selected.files.map((f) => ({ path: f.path, size: f.size, fingerprint: f.oid }));
  return {
    kind: 'hub',
    describe,
    files,
    fileSource: hubModelFileSource(selected, { signal: ctx.signal }),
    transfer: hubStreamTransfer(storage, selected, ctx.signal),
    version: model.commit,
    hub: selected,
  };
}

async function resolveTosSource(spec: { bucket: string; prefix: string }, exclude: readonly string[], storage: TosStorage, ctx: ControllerContext): Promise<ResolvedSource> {
  const where = tosUri(spec.bucket, spec.prefix);
  await assertUsableSourceBucket(storage, spec.bucket, where, ctx.settings().region);
  const listing = await listTosSource(storage, spec.bucket, spec.prefix, exclude).catch((error: unknown) => {
    throw unusable(error, where) ?? error;
  });
  if (listing.files.length === 0) throw new SourceUnusableError(`${where}: expected the model's files under the prefix, found no object`);
  const files = listing.files.map(({ path, size, fingerprint }) => ({ path, size, fingerprint }));
  return {
    kind: 'tos',
    describe: where,
    files,
    fileSource: tosModelFileSource(storage, listing),
    transfer: tosCopyTransfer(storage, listing),
    version: contentDigest(files.map((f) => ({ path: f.path, size: f.size, crc64: f.fingerprint }))),
    tos: { bucket: spec.bucket, prefix: spec.prefix },
  };
}

/**
 * Ark imports only from buckets of its own account in its own region, and TOS copies only within a region
 * [I]: a source bucket elsewhere is refused at preview, whether it would be copied or used in place.
 */
async function assertUsableSourceBucket(storage: TosStorage, bucket: string, where: string, region: string): Promise<void> {
  let head: { region?: string } | undefined;
  try {
    head = await storage.headBucket(bucket);
  } catch (error) {
    throw unusable(error, where) ?? error;
  }
  if (!head) throw new SourceUnusableError(`${where}: expected an existing TOS bucket ${bucket}, found none`);
  const elsewhere = regionMismatch(bucket, head.region, region);
  if (elsewhere) throw new SourceUnusableError(`${where}: ${elsewhere.replace('Use a bucket in', 'Copy the weights to a bucket in')}`);
}

/** Access refused: the bucket is another account's (or these credentials may not read it). */
function unusable(error: unknown, where: string): SourceUnusableError | undefined {
  if (!(error instanceof TosCallError) || (error.code !== 'AccessDenied' && error.statusCode !== 403)) return undefined;
  return new SourceUnusableError(
    `${where}: expected a bucket of this account that these credentials may read, found access denied (${error.code}); Ark imports only from buckets of its own account and region, so copy the weights into one of yours first`,
  );
}
