/**
 * `npm run bench`: performance figures, printed next to their goals, never asserted. Each area keeps its
 * figures in its own module under `scripts/bench/`; this file only parses the flags and runs them.
 *
 *   npm run bench                          every figure at 1 GiB and 15 GiB (the 15 GiB set is long)
 *   npm run bench -- --sizes 1             only the 1 GiB model
 *   npm run bench -- --only fingerprint,preview --rounds 3
 *   npm run bench -- --only noop-preview     only the no-op `pulumi preview` figures (scripts/bench/preview.ts)
 *   npm run bench -- --only remote-preview,tos-copy,hub-stream   weights from tos:// and hf:// (scripts/bench/remote.ts;
 *                                          a sparse Qwen3-8B, BENCH_REMOTE_BASE=Qwen2.5-0.5B for a quick run)
 *
 * Sync figures (`scripts/bench/sync.ts`): upload, fingerprint, preview, ingest. Test data is generated once,
 * non-sparse, under `$BENCH_DATA_DIR` (default `~/.cache/pulumi-ark-bench`): as many GiB of disk as the sizes
 * asked for (16 GiB for 1 and 15), kept for later runs.
 */
import { runPreviewBench } from './bench/preview';
import { REMOTE_FIGURES, runRemoteBench } from './bench/remote';
import { runSyncBench, SYNC_FIGURES } from './bench/sync';

/** The no-op `pulumi preview` of the quickstart vs an empty program; the other figures are the sync's. */
const NOOP_PREVIEW = 'noop-preview';
const ALL_FIGURES = [...SYNC_FIGURES, NOOP_PREVIEW, ...REMOTE_FIGURES];

interface BenchFlags {
  sizes: number[];
  rounds: number;
  only: string[];
}

function parseFlags(argv: readonly string[]): BenchFlags {
  const flags: BenchFlags = { sizes: [1, 15], rounds: 2, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${argv[i - 1]} needs a value`);
      return v;
    };
    const arg = argv[i]!;
    if (arg === '--sizes') flags.sizes = value().split(',').map(Number);
    else if (arg === '--rounds') flags.rounds = Number(value());
    else if (arg === '--only') flags.only = value().split(',');
    else throw new Error(`bench: unknown flag ${arg}; expected --sizes 1,15, --rounds N or --only ${ALL_FIGURES.join(',')}`);
  }
  if (flags.sizes.some((s) => !(s > 0)) || !(flags.rounds >= 1)) throw new Error(`bench: expected positive --sizes and --rounds, found ${flags.sizes.join(',')} and ${flags.rounds}`);
  const unknown = flags.only.filter((f) => !ALL_FIGURES.includes(f));
  if (unknown.length > 0) throw new Error(`bench: unknown figure(s) ${unknown.join(', ')}; expected some of ${ALL_FIGURES.join(', ')}`);
  return flags;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const syncOnly = flags.only.filter((f) => SYNC_FIGURES.includes(f));
  const remoteOnly = flags.only.filter((f) => REMOTE_FIGURES.includes(f));
  if (flags.only.length === 0 || syncOnly.length > 0) await runSyncBench({ ...flags, only: syncOnly });
  if (flags.only.length === 0 || flags.only.includes(NOOP_PREVIEW)) await runPreviewBench();
  if (flags.only.length === 0 || remoteOnly.length > 0) await runRemoteBench({ only: remoteOnly, rounds: flags.rounds });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
