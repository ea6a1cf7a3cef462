/**
 * `TosModelDir.source` naming weights already in TOS (a training job's output), driven by the real `pulumi`
 * CLI in examples/quickstart with config `weights: tos://…`: the first deploy copies them server-side, a copy
 * killed mid-way resumes without copying a finished shard again, a source overwritten during the copy fails
 * the update without deploying any of it, and destroy removes the copy but never the source.
 *
 * The runs are synthetic Qwen2.5-0.5B models in two shards of ~0.5 GB (multipart copies at the default 64 MiB
 * parts), seeded sparse into ark-local's TOS. Each run writes its own bytes after each shard's header, so the
 * shards of two runs differ (a new training run) while config, tokenizer and header stay valid.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seedSparseModel } from '../../emulator/seed-model';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { DEFAULT_PART_SIZE } from '../../provider/sync/engine';
import { inventory } from './ark-inventory';
import { PROVIDER_EXIT_BOUND_MS, providerProcesses } from './ci-cancel';
import { repoTempDir } from './cli-harness';
import { startExampleStack, type ExampleStack } from './example-stack';
import { sleep, until } from './poll';
import { killQuietly, processesOfRun } from './processes';
import { countTosRequests } from './tos-requests';

jest.setTimeout(900_000);

const SOURCE_BUCKET = 'ml-artifacts';
const TARGET_BUCKET = 'models';
const SHARDS = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
const WRITES = ['PutObject', 'UploadPart', 'CopyObject', 'UploadPartCopy'];
/** Holds each part copy open long enough to act (kill, overwrite) while a shard is being copied. */
const SLOW_PART_MS = 4000;

const runPrefix = (run: number) => `support-bot/runs/${run}/final/`;
const runUri = (run: number) => `tos://${SOURCE_BUCKET}/${runPrefix(run)}`;

let f: ExampleStack;
let modelDir: string;
/** The copy's prefix: the quickstart's default, `quickstart/<stack>/`. */
let target: string;

beforeAll(async () => {
  modelDir = path.join(repoTempDir('tos-source-model'), 'model');
  await writeSyntheticModel(modelDir, { base: 'Qwen2.5-0.5B', fill: 'sparse', shards: 2 });
  f = await startExampleStack({ example: 'examples/quickstart', name: 'tos-source', modelDir });
  target = `quickstart/${f.stack}/`;
  await f.ark.admin.createBucket({ name: SOURCE_BUCKET, region: f.ark.region });
});
afterAll(async () => {
  if (f) for (const pid of processesOfRun(path.join(f.run.stateDir, 'home'))) killQuietly(pid);
  await f?.close();
  if (modelDir) fs.rmSync(path.dirname(modelDir), { recursive: true, force: true });
});

/** The 8-byte length and the JSON header of a safetensors file. */
function safetensorsHeader(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const length = Buffer.alloc(8);
    fs.readSync(fd, length, 0, 8, 0);
    const head = Buffer.alloc(8 + Number(length.readBigUInt64LE(0)));
    fs.readSync(fd, head, 0, head.length, 0);
    return head;
  } finally {
    fs.closeSync(fd);
  }
}

/** Training run `run`'s output in the artifacts bucket: the model, with tensor bytes of its own in each shard. */
async function seedRun(run: number): Promise<void> {
  await seedSparseModel(f.ark.admin, modelDir, SOURCE_BUCKET, runPrefix(run));
  for (const shard of SHARDS) {
    const file = path.join(modelDir, shard);
    const head = Buffer.concat([safetensorsHeader(file), Buffer.from(`weights of run ${run}`)]);
    await f.ark.admin.seedObject({ bucket: SOURCE_BUCKET, key: `${runPrefix(run)}${shard}`, size: fs.statSync(file).size, head });
  }
}

/** key (relative to `prefix`) -> CRC64 of every object under it. */
async function crcs(bucket: string, prefix: string): Promise<Record<string, string>> {
  const { data } = await f.tos().listObjectsType2({ bucket, prefix, maxKeys: 1000 });
  return Object.fromEntries((data.Contents ?? []).map((c) => [c.Key.slice(prefix.length), c.HashCrc64ecma ?? '']));
}

/** A listing's keys with their ETags, to show that nothing was rewritten. */
async function etags(bucket: string, prefix: string): Promise<string[]> {
  const { data } = await f.tos().listObjectsType2({ bucket, prefix, maxKeys: 1000 });
  return (data.Contents ?? []).map((c) => `${c.Key} ${c.ETag}`).sort();
}

async function openUploads(): Promise<{ Key: string }[]> {
  return (await f.tos().listMultipartUploads({ bucket: TARGET_BUCKET, prefix: target })).data.Uploads ?? [];
}

/** The shards whose copy under the target holds run `run`'s content. */
async function shardsCopiedFrom(run: number): Promise<string[]> {
  const [source, copy] = await Promise.all([crcs(SOURCE_BUCKET, runPrefix(run)), crcs(TARGET_BUCKET, target)]);
  return SHARDS.filter((shard) => copy[shard] !== undefined && copy[shard] === source[shard]);
}

/** `pulumi up` detached in its own process group (like a CI job), with `settled()` telling whether it ended. */
function spawnUp() {
  const up = f.run.spawnPulumi(['up', '--yes', '--skip-preview']);
  let ended = false;
  void up.result.then(() => (ended = true));
  return { ...up, settled: () => ended };
}

describe('TosModelDir from a tos:// source, through the pulumi CLI', () => {
  it('deploys run 1 by server-side copies: three resources, no upload, the endpoint Running, then no changes', async () => {
    await seedRun(1);
    await f.configure({ weights: runUri(1) });
    const preview = await f.pulumiOk(['preview']);
    expect(preview.stdout).toMatch(/\+ 4 to create/); // the stack and its three resources

    const writes = await countTosRequests(f.ark, WRITES);
    const up = await f.pulumiOk(['up', '--yes', '--skip-preview']);
    for (const kind of ['TosModelDir', 'CustomModel', 'ModelUnitEndpoint']) expect(up.stdout).toMatch(new RegExp(`\\+ +pulumi-nodejs:dynamic/ark:${kind} +\\S+ +created`));
    expect(up.stdout).toMatch(/\+ 4 created/);
    const counts = await writes();
    expect({ PutObject: counts.PutObject, UploadPart: counts.UploadPart }).toEqual({ PutObject: 0, UploadPart: 0 });
    // Each ~0.5 GB shard is larger than one 64 MiB part: a multipart copy.
    const shardParts = SHARDS.map((shard) => Math.ceil(fs.statSync(path.join(modelDir, shard)).size / DEFAULT_PART_SIZE));
    expect(shardParts.every((parts) => parts > 1)).toBe(true);
    expect(counts.UploadPartCopy).toBe(shardParts[0]! + shardParts[1]!);
    expect(counts.CopyObject).toBe(fs.readdirSync(modelDir).length - SHARDS.length);

    const outputs = await f.outputs();
    expect([outputs.endpointStatus, outputs.weightsLocation]).toEqual(['Running', `tos://${TARGET_BUCKET}/${target}`]);
    expect(await crcs(TARGET_BUCKET, target)).toEqual(await crcs(SOURCE_BUCKET, runPrefix(1)));
    await f.pulumiOk(['preview', '--expect-no-changes']);
  });

  it('resumes a copy killed mid-way without copying the finished shard again', async () => {
    await seedRun(2);
    await f.configure({ weights: runUri(2) });
    const before = await inventory(f.ark);
    await countTosRequests(f.ark, WRITES, { UploadPartCopy: SLOW_PART_MS });
    const up = spawnUp();
    // The kill lands mid-way: one shard copied, the other's multipart copy open (its parts held by the delay).
    await until('one shard of run 2 copied and the other under way', async () => up.settled() || ((await shardsCopiedFrom(2)).length > 0 && (await openUploads()).length > 0));
    if (up.settled()) throw new Error(`pulumi up ended before the kill:\n${(await up.result).stdout}\n${(await up.result).stderr}`);
    const home = path.join(f.run.stateDir, 'home');
    expect(providerProcesses(home).length).toBeGreaterThan(0);
    up.signalGroup('SIGKILL');
    expect((await up.result).signal).toBe('SIGKILL');
    const finished = await shardsCopiedFrom(2);
    expect(finished).toHaveLength(1);
    const unfinished = SHARDS.find((shard) => !finished.includes(shard))!;
    // A stopped run leaves its multipart upload for the next one (provider/sync/remote-sync.ts).
    expect((await openUploads()).map((u) => u.Key)).toEqual([`${target}${unfinished}`]);

    const killedAt = Date.now();
    while (providerProcesses(home).length > 0 && Date.now() - killedAt < PROVIDER_EXIT_BOUND_MS) await sleep(100);
    expect(providerProcesses(home)).toEqual([]);
    for (const pid of processesOfRun(home)) killQuietly(pid); // the dead engine's language host, if any

    f.run.removeLocks();
    const writes = await countTosRequests(f.ark, WRITES);
    const rerun = await f.pulumiOk(['up', '--yes', '--skip-preview']);
    expect(rerun.stdout).toMatch(/aborted 1 open multipart upload\(s\) left by an interrupted run/);
    // Only the unfinished shard's parts: the finished one, and the small files (unchanged since run 1), stay.
    expect(await writes()).toEqual({ PutObject: 0, UploadPart: 0, CopyObject: 0, UploadPartCopy: Math.ceil(fs.statSync(path.join(modelDir, unfinished)).size / DEFAULT_PART_SIZE) });
    expect(await crcs(TARGET_BUCKET, target)).toEqual(await crcs(SOURCE_BUCKET, runPrefix(2)));
    const after = await inventory(f.ark);
    expect([after.customModels.length, after.endpoints.length]).toEqual([1, 1]);
    expect(after.customModels).not.toEqual(before.customModels); // new weights, a new model
    expect(after.endpoints[0]).toMatch(/ Running$/);
    expect(await openUploads()).toEqual([]);
  });

  it('fails an up whose source is overwritten during the copy, deploys none of it, and deploys the re-run', async () => {
    await seedRun(3);
    await f.configure({ weights: runUri(3) });
    const before = await inventory(f.ark);
    await countTosRequests(f.ark, WRITES, { UploadPartCopy: SLOW_PART_MS });
    const up = spawnUp();
    await until('a shard of run 3 being copied', async () => up.settled() || (await openUploads()).length > 0);
    if (up.settled()) throw new Error(`pulumi up ended before the overwrite:\n${(await up.result).stdout}\n${(await up.result).stderr}`);
    const copying = (await openUploads())[0]!.Key.slice(target.length);
    const pending = SHARDS.find((shard) => shard !== copying)!;
    expect(await shardsCopiedFrom(3)).not.toContain(pending);
    // The training job writes that shard again while the deploy runs.
    await f.tos().putObject({ bucket: SOURCE_BUCKET, key: `${runPrefix(3)}${pending}`, body: Buffer.from('checkpoint being rewritten') });

    const failed = await up.result;
    const output = failed.stdout + failed.stderr;
    expect(failed.code).not.toBe(0);
    expect(output).toContain(`tos://${SOURCE_BUCKET}/${runPrefix(3)}${pending} was overwritten after it was listed`);
    expect(output).toContain('nothing of it is deployed');
    expect((await inventory(f.ark)).customModels).toEqual(before.customModels);

    // The job finished: run 3 is complete again, and the next up deploys it.
    await f.ark.admin.clearFaults();
    await seedRun(3);
    await f.pulumiOk(['up', '--yes', '--skip-preview']);
    expect(await crcs(TARGET_BUCKET, target)).toEqual(await crcs(SOURCE_BUCKET, runPrefix(3)));
    const after = await inventory(f.ark);
    expect(after.customModels).toHaveLength(1);
    expect(after.customModels).not.toEqual(before.customModels);
    expect((await f.outputs()).endpointStatus).toBe('Running');
    expect(await openUploads()).toEqual([]);
  });

  it('destroys the copy and leaves the training runs untouched', async () => {
    const sources = await etags(SOURCE_BUCKET, 'support-bot/');
    expect(sources).toHaveLength(3 * fs.readdirSync(modelDir).length);
    await f.pulumiOk(['destroy', '--yes', '--skip-preview']);
    expect(await etags(SOURCE_BUCKET, 'support-bot/')).toEqual(sources);
    expect(await etags(TARGET_BUCKET, target)).toEqual([]);
    expect(await openUploads()).toEqual([]);
    const left = await inventory(f.ark);
    expect([left.customModels, left.endpoints]).toEqual([[], []]);
  });
});
