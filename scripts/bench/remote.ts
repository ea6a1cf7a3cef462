/**
 * Remote-source figures of `npm run bench` (issue 20), on a sparse synthetic Qwen3-8B (~16 GB; another base with
 * BENCH_REMOTE_BASE) that lives in ark-local's TOS (seeded: headers, then zeros never stored) and on its hub
 * (published from the sparse directory). ark-local runs in a child process with a data directory.
 *
 * - remote-preview: a fresh runner's no-op `pulumi preview` (a new empty PULUMI_ARK_CACHE_DIR each run) of the
 *   quickstart deploying from the tos:// prefix and from the hf:// revision, next to an empty TypeScript program
 *   with the quickstart's tsconfig (the goal's baseline: <= 1.2x) and one with the CLI's default tsconfig; the
 *   bytes ark-local's TOS and hub served during each preview (the weights read: headers only).
 * - tos-copy: TosModelDir from the tos:// prefix (check + create: a server-side copy) next to a cold sync of
 *   the same bytes from a local directory; the client's I/O bytes against the model (goal: <= 1%).
 * - hub-stream: TosModelDir from the hf:// revision (hub -> TOS stream) next to a hub download alone and a TOS
 *   upload alone of the same bytes (goal: >= 0.9x the slower), with the client's disk writes and peak RSS
 *   (goal: <= 300 MB).
 *
 * Each client run is a fresh process (remote-child.ts); runs are interleaved round by round. The hub is a second
 * ark-local process: a real hub and TOS are separate services, and one ark-local serving both would make its
 * single event loop, not the client, the limit of a stream that downloads and uploads at once.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArkLocalAdmin, seedSparseModel } from '../../emulator';
import { TosStorage } from '../../provider/clients/tos/client';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import type { ProviderSettings } from '../../provider/resources/controller';
import { formatBytes } from '../../provider/sync/progress';
import { ensurePulumiTools, offlineEnv, REPO_ROOT } from '../pulumi-workspace';
import { inChild, MiB, rate, ratio, startChildArkLocal, type ChildArkLocal } from './measure';
import { arkStackConfig, copyQuickstart, median, pairedRatio, run, writeEmptyProject, type Project } from './preview';
import type { RemoteFigures, RemoteJob } from './remote-child';

export const REMOTE_FIGURES = ['remote-preview', 'tos-copy', 'hub-stream'];

const SOURCE_BUCKET = 'ml-artifacts';
const SOURCE_PREFIX = 'runs/1/final/';
const TARGET_BUCKET = 'bench-serving';
const HUB_REPO = 'bench/support-bot';
const TUNING = { uploadConcurrency: 8, partSize: 64 * MiB };
const STACK = 'bench';
const BASE = process.env.BENCH_REMOTE_BASE ?? 'Qwen3-8B';

export async function runRemoteBench(opts: { only: string[]; rounds: number }): Promise<void> {
  const wants = (figure: string) => opts.only.length === 0 || opts.only.includes(figure);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pulumi-ark-bench-remote-'));
  const arkLocal = await startChildArkLocal(path.join(work, 'ark-local'));
  const hubLocal = await startChildArkLocal(path.join(work, 'hub'));
  try {
    const settings: ProviderSettings = { ...arkLocal.settings, hubEndpoint: hubLocal.settings.hubEndpoint, hubToken: hubLocal.settings.hubToken };
    const admin = new ArkLocalAdmin(settings.arkEndpoint);
    const hubAdmin = new ArkLocalAdmin(hubLocal.settings.arkEndpoint);
    const modelDir = path.join(work, 'model');
    await writeSyntheticModel(modelDir, { base: BASE, fill: 'sparse', shards: 4 });
    const storage = new TosStorage(settings);
    for (const bucket of [SOURCE_BUCKET, TARGET_BUCKET]) await storage.createBucket(bucket);
    const seeded = await seedSparseModel(admin, modelDir, SOURCE_BUCKET, SOURCE_PREFIX);
    const published = Date.now();
    await hubAdmin.publishHubCommit(HUB_REPO, { directory: modelDir });
    console.log(
      `\nbench remote sources: ${BASE}, ${seeded.files} files, ${formatBytes(seeded.bytes)} (sparse) in tos://${SOURCE_BUCKET}/${SOURCE_PREFIX} and hf://${HUB_REPO} ` +
        `(published in ${((Date.now() - published) / 1000).toFixed(1)} s: ark-local hashes the files once); TOS and the hub are two ark-local child processes`,
    );
    const ctx = { settings, work, modelDir, modelBytes: seeded.bytes, rounds: opts.rounds, storage, servers: [arkLocal, hubLocal] as const };
    if (wants('tos-copy')) await tosCopyFigures(ctx);
    if (wants('hub-stream')) await hubStreamFigures(ctx);
    if (wants('remote-preview')) await previewFigures(ctx, admin, hubAdmin);
  } finally {
    await hubLocal.close();
    await arkLocal.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}

interface BenchContext {
  settings: ProviderSettings;
  work: string;
  modelDir: string;
  modelBytes: number;
  rounds: number;
  storage: TosStorage;
  /** The TOS and the hub ark-local, for the CPU time each run cost them. */
  servers: readonly [ChildArkLocal, ChildArkLocal];
}

/** A client run with the CPU seconds it cost the TOS and the hub server. */
interface ServedRun extends RemoteFigures {
  tosCpu: number;
  hubCpu: number;
}

async function withServerCpu(ctx: BenchContext, run: () => Promise<RemoteFigures>): Promise<ServedRun> {
  const [tos0, hub0] = [await ctx.servers[0].cpuSeconds(), await ctx.servers[1].cpuSeconds()];
  const figures = await run();
  return { ...figures, tosCpu: (await ctx.servers[0].cpuSeconds()) - tos0, hubCpu: (await ctx.servers[1].cpuSeconds()) - hub0 };
}

/** `client 12.1 s, TOS 20.3 s, hub 4.0 s CPU (1.2 ms/MiB …)` */
function cpuLine(run: ServedRun): string {
  const perMiB = (s: number) => ((1000 * s) / (run.modelBytes / MiB)).toFixed(2);
  return `CPU ms/MiB: client ${perMiB(run.cpuSeconds)}, TOS server ${perMiB(run.tosCpu)}, hub server ${perMiB(run.hubCpu)}`;
}

let runs = 0;

/** TosModelDir check + create from `source` into a fresh prefix, in a child process; the prefix is emptied after. */
async function controllerRun(ctx: BenchContext, source: string): Promise<RemoteFigures> {
  const prefix = `run-${++runs}/`;
  const job: RemoteJob = { kind: 'controller', settings: ctx.settings, inputs: { source, bucket: TARGET_BUCKET, prefix, baseModel: BASE, owner: 'bench', ...TUNING } };
  const figures = await inChild<RemoteJob, RemoteFigures>('remote-child.js', job);
  const keys = (await ctx.storage.listPrefix(TARGET_BUCKET, prefix)).map((o) => o.key);
  await ctx.storage.deleteKeys(TARGET_BUCKET, keys);
  return figures;
}

function best<T extends RemoteFigures>(runs: T[]): T {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

async function tosCopyFigures(ctx: BenchContext): Promise<void> {
  const copies: RemoteFigures[] = [];
  const locals: RemoteFigures[] = [];
  for (let round = 0; round < ctx.rounds; round++) {
    copies.push(await controllerRun(ctx, `tos://${SOURCE_BUCKET}/${SOURCE_PREFIX}`));
    locals.push(await controllerRun(ctx, ctx.modelDir));
  }
  const copy = best(copies);
  const local = best(locals);
  console.log(`\ntos-copy: TosModelDir from tos://${SOURCE_BUCKET}/${SOURCE_PREFIX} (check + server-side copy), best of ${ctx.rounds}:`);
  console.log(
    `  copy        ${copy.seconds.toFixed(2)} s, client I/O ${formatBytes(copy.ioBytes)} = ${((100 * copy.ioBytes) / ctx.modelBytes).toFixed(3)}% of the model (target <= 1%), peak RSS ${formatBytes(copy.peakRss)}`,
  );
  console.log(`  local cold sync of the same bytes  ${local.seconds.toFixed(2)} s (${rate(local.modelBytes, local.seconds)}), client I/O ${formatBytes(local.ioBytes)}`);
  console.log(`  copy / local cold sync: ${ratio(copy.seconds, local.seconds)} of the time`);
}

async function hubStreamFigures(ctx: BenchContext): Promise<void> {
  const streams: ServedRun[] = [];
  const downloads: ServedRun[] = [];
  const uploads: ServedRun[] = [];
  const download: RemoteJob = { kind: 'hub-download', settings: ctx.settings, hub: { repo: HUB_REPO, revision: 'main', partSize: TUNING.partSize, concurrency: TUNING.uploadConcurrency } };
  for (let round = 0; round < ctx.rounds; round++) {
    downloads.push(await withServerCpu(ctx, () => inChild<RemoteJob, RemoteFigures>('remote-child.js', download)));
    uploads.push(await withServerCpu(ctx, () => controllerRun(ctx, ctx.modelDir)));
    streams.push(await withServerCpu(ctx, () => controllerRun(ctx, `hf://${HUB_REPO}@main`)));
  }
  const [d, u, s] = [best(downloads), best(uploads), best(streams)];
  const slower = Math.min(d.modelBytes / d.seconds, u.modelBytes / u.seconds);
  console.log(`\nhub-stream: TosModelDir from hf://${HUB_REPO}@main (hub -> TOS, ${TUNING.uploadConcurrency} requests in flight, ${formatBytes(TUNING.partSize)} parts), best of ${ctx.rounds}:`);
  console.log(`  hub download alone   ${d.seconds.toFixed(2)} s, ${rate(d.modelBytes, d.seconds)}; ${cpuLine(d)}`);
  console.log(`  TOS upload alone     ${u.seconds.toFixed(2)} s, ${rate(u.modelBytes, u.seconds)} (a cold sync of the same bytes from a local directory); ${cpuLine(u)}`);
  console.log(
    `  stream               ${s.seconds.toFixed(2)} s, ${rate(s.modelBytes, s.seconds)} -> ${ratio(s.modelBytes / s.seconds, slower)} the slower of the two (target >= 0.9); ` +
      `disk written ${formatBytes(s.diskWritten)}, peak RSS ${formatBytes(s.peakRss)} (target <= 300 MB); ${cpuLine(s)}`,
  );
  console.log(`  (${os.availableParallelism()} cores for the client and both servers: the stream's CPU is the sum of the other two's, less one client read)`);
}

/** No-op previews through the real CLI, each with a fresh stat-cache directory like a new CI runner. */
async function previewFigures(ctx: BenchContext, admin: ArkLocalAdmin, hubAdmin: ArkLocalAdmin): Promise<void> {
  const tools = await ensurePulumiTools();
  const pulumi = path.join(tools.root, 'bin', 'pulumi');
  await fs.mkdir(path.join(REPO_ROOT, 'tmp'), { recursive: true });
  const dir = await fs.mkdtemp(path.join(REPO_ROOT, 'tmp', 'bench-remote-preview-'));
  try {
    for (const sub of ['backend', 'home']) await fs.mkdir(path.join(dir, sub));
    const env = { ...process.env, ...offlineEnv(dir, 'bench-remote-preview'), PATH: [...tools.path, process.env.PATH ?? ''].join(path.delimiter) };
    const unit = await admin.createModelUnit({ name: 'bench-remote', slots: 2 });
    const empty = writeEmptyProject(path.join(dir, 'empty'), false);
    const emptySame = writeEmptyProject(path.join(dir, 'empty-nocheck'), true);
    const fromTos = { ...copyQuickstart(path.join(dir, 'tos')), label: `quickstart, weights tos:// (${formatBytes(ctx.modelBytes)})` };
    const fromHub = { ...copyQuickstart(path.join(dir, 'hub')), label: `quickstart, weights hf:// (${formatBytes(ctx.modelBytes)})` };
    const weights = new Map<Project, string>([
      [fromTos, `tos://${SOURCE_BUCKET}/${SOURCE_PREFIX}`],
      [fromHub, `hf://${HUB_REPO}@main`],
    ]);
    const projects = [empty, emptySame, fromTos, fromHub];
    // The two quickstart copies are one Pulumi project on one backend: each gets a stack of its own.
    const stackOf = (project: Project) => (project === fromTos ? `${STACK}-tos` : project === fromHub ? `${STACK}-hub` : STACK);
    for (const project of projects) {
      await run(pulumi, ['stack', 'init', stackOf(project)], project.dir, env);
      const source = weights.get(project);
      if (source) {
        const config = quickstartConfig(ctx.settings, source, unit.Id, project === fromTos ? 'tos' : 'hub');
        await run(pulumi, ['config', 'set-all', '--stack', stackOf(project), ...Object.entries(config).flatMap(([key, value]) => ['--plaintext', `${key}=${value}`])], project.dir, env);
      }
      const started = Date.now();
      await run(pulumi, ['up', '--stack', stackOf(project), '--yes', '--skip-preview', '--non-interactive'], project.dir, env);
      if (source) console.log(`  (up of ${project.label}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    const served = new Map<Project, number[]>(projects.map((p) => [p, []]));
    for (let round = 0; round < ctx.rounds; round++) {
      for (let i = 0; i < projects.length; i++) {
        const project = projects[(round + i) % projects.length]!;
        const cache = await fs.mkdtemp(path.join(dir, 'fresh-runner-cache-'));
        const before = { tos: (await admin.traffic()).tos, hub: (await hubAdmin.traffic()).hub };
        const start = process.hrtime.bigint();
        await run(pulumi, ['preview', '--stack', stackOf(project), '--expect-no-changes', '--non-interactive'], project.dir, { ...env, PULUMI_ARK_CACHE_DIR: cache });
        project.seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
        const after = { tos: (await admin.traffic()).tos, hub: (await hubAdmin.traffic()).hub };
        served.get(project)!.push(after.tos - before.tos + (after.hub - before.hub));
        await fs.rm(cache, { recursive: true, force: true });
      }
    }
    const line = (project: Project, extra = '') =>
      console.log(`  ${project.label.padEnd(48)} ${median(project.seconds).toFixed(2)} s (runs: ${project.seconds.map((s) => s.toFixed(1)).join(' ')})${extra}`);
    console.log(`\nremote-preview: fresh-runner no-op pulumi preview, median of ${ctx.rounds}:`);
    line(empty);
    line(emptySame);
    for (const project of [fromTos, fromHub]) {
      const bytes = Math.max(...served.get(project)!);
      line(
        project,
        ` -> ${pairedRatio(project, emptySame).toFixed(2)}x the empty program with the same tsconfig (target <= 1.2), ${pairedRatio(project, empty).toFixed(2)}x the default-tsconfig one; ` +
          `TOS + hub served at most ${formatBytes(bytes)} per preview (${((100 * bytes) / ctx.modelBytes).toFixed(4)}% of the model)`,
      );
    }
    console.log(`  empty program, quickstart's tsconfig / default tsconfig: ${pairedRatio(emptySame, empty).toFixed(2)}x (per-round ratios, median)`);
    for (const project of [fromTos, fromHub]) await run(pulumi, ['destroy', '--stack', stackOf(project), '--yes', '--non-interactive'], project.dir, env);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function quickstartConfig(settings: ProviderSettings, weights: string, modelUnitId: string, name: string): Record<string, string> {
  return {
    ...arkStackConfig(settings),
    'ark-quickstart:weights': weights,
    'ark-quickstart:baseModel': BASE,
    'ark-quickstart:bucket': TARGET_BUCKET,
    'ark-quickstart:prefix': `preview-${name}/`,
    'ark-quickstart:modelUnitId': modelUnitId,
    'ark-quickstart:modelName': `bench-${name}`,
    'ark-quickstart:endpointName': `bench-${name}`,
  };
}
