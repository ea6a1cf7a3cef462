/**
 * `npm run bench` (or `npm run bench -- --only noop-preview`): what a no-op `pulumi preview` of examples/quickstart
 * costs next to an empty TypeScript program, both run by the real CLI in their directory (`pulumi preview` with
 * cwd = the project, the Node language host, a file:// backend), against an in-process ark-local.
 *
 * - empty:            a minimal Pulumi TypeScript project (`import @pulumi/pulumi`, one stack output, no
 *                     tsconfig: the CLI's defaults, which type-check) -- the baseline of the goal (<= 1.2x).
 * - empty, no check:  the same with examples/quickstart's tsconfig.json, to show what the provider itself adds.
 * - quickstart:       a copy of examples/quickstart as it is in the repository, after an `up`.
 * - 5 pipelines:      five quickstart chains (15 resources) in one program: the cost must not grow with them.
 *
 * Runs are interleaved round by round (the machine may be shared; interference hits every project alike) and
 * medians reported. The projects live in the repository's tmp/ (so they resolve @pulumi/pulumi and pulumi-ark)
 * and are removed afterwards, with ark-local's data directory (six uploads of the sparse ~1 GB model: ~6 GB of
 * disk while the bench runs). BENCH_PREVIEW_ROUNDS (default 7) sets the rounds. The CLI and the Node language
 * host come from scripts/pulumi-cli.sh --env (or PULUMI_ARK_CLI_ROOT + PULUMI_ARK_TOOL_PATH).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startArkLocal, type ArkLocal } from '../../emulator';
import type { ProviderSettings } from '../../provider/resources/controller';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { ensurePulumiTools, offlineEnv, REPO_ROOT } from '../pulumi-workspace';

const BASE_MODEL = 'Qwen2.5-0.5B';
const QUICKSTART_DIR = path.join(REPO_ROOT, 'examples', 'quickstart');
const STACK = 'bench';
const PIPELINES = 5;

export interface Project {
  label: string;
  /** A directory in the bench's work directory; the stack config lands there as Pulumi.bench.yaml. */
  dir: string;
  /** Its `ark-quickstart:*` style config keys' namespace, or none for the empty programs. */
  configNamespace?: string;
  seconds: number[];
}

export async function runPreviewBench(): Promise<void> {
  const rounds = Number(process.env.BENCH_PREVIEW_ROUNDS ?? 7);
  const tools = await ensurePulumiTools();
  const pulumi = path.join(tools.root, 'bin', 'pulumi');
  fs.mkdirSync(path.join(REPO_ROOT, 'tmp'), { recursive: true });
  const work = fs.mkdtempSync(path.join(REPO_ROOT, 'tmp', 'bench-preview-'));
  for (const dir of ['backend', 'home']) fs.mkdirSync(path.join(work, dir));
  const env = { ...process.env, ...offlineEnv(work, 'bench-preview'), PATH: [...tools.path, process.env.PATH ?? ''].join(path.delimiter) };
  const ark = await startArkLocal({ dataDir: path.join(work, 'ark-local'), quiet: true, transitions: { mode: 'immediate' } });
  try {
    const modelDir = path.join(work, 'model');
    await writeSyntheticModel(modelDir, { base: BASE_MODEL, fill: 'sparse' });
    const unit = await ark.admin.createModelUnit({ name: 'bench', slots: PIPELINES + 1 });

    const empty = writeEmptyProject(path.join(work, 'empty'), false);
    const emptyNoCheck = writeEmptyProject(path.join(work, 'empty-nocheck'), true);
    const quickstart = copyQuickstart(path.join(work, 'quickstart'));
    const pipelines = writePipelinesProject(path.join(work, 'pipelines'));
    const projects = [empty, emptyNoCheck, quickstart, pipelines];

    console.log(`preview bench: ${pulumi}; projects in ${path.relative(REPO_ROOT, work)}/; ${rounds} interleaved rounds`);
    for (const project of projects) {
      await run(pulumi, ['stack', 'init', STACK], project.dir, env);
      if (project.configNamespace) {
        const pairs = Object.entries(quickstartConfig(ark, project.configNamespace, modelDir, unit.Id));
        await run(pulumi, ['config', 'set-all', '--stack', STACK, ...pairs.flatMap(([key, value]) => ['--plaintext', `${key}=${value}`])], project.dir, env);
      }
      await run(pulumi, ['up', '--stack', STACK, '--yes', '--skip-preview', '--non-interactive'], project.dir, env);
    }

    for (let round = 0; round < rounds; round++) {
      // Rotate the order, so no project always runs right after the same neighbour.
      for (let i = 0; i < projects.length; i++) {
        const project = projects[(round + i) % projects.length];
        const start = process.hrtime.bigint();
        await run(pulumi, ['preview', '--stack', STACK, '--expect-no-changes', '--non-interactive'], project.dir, env);
        project.seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
      }
    }

    const [e, n, q, p] = projects.map((project) => median(project.seconds));
    const line = (project: Project, extra = '') =>
      console.log(`  ${project.label.padEnd(44)} ${median(project.seconds).toFixed(2)} s (runs: ${project.seconds.map((s) => s.toFixed(1)).join(' ')})${extra}`);
    console.log(`no-op pulumi preview, median of ${rounds}:`);
    line(empty);
    line(emptyNoCheck);
    line(quickstart, ` -> ${(q / e).toFixed(2)}x the empty program (target <= 1.2), ${(q / n).toFixed(2)}x the empty one without type-check`);
    line(pipelines, ` -> ${(p / q).toFixed(2)}x one pipeline`);
    // Load on a shared machine drifts over minutes; the median of each round's own ratio is steadier.
    console.log(
      `  per-round ratios, median: quickstart/empty ${pairedRatio(quickstart, empty).toFixed(2)}, quickstart/empty without type-check ${pairedRatio(quickstart, emptyNoCheck).toFixed(2)}, 5 pipelines/1 ${pairedRatio(pipelines, quickstart).toFixed(2)}`,
    );
  } finally {
    await ark.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function pairedRatio(a: Project, b: Project): number {
  return median(a.seconds.map((seconds, round) => seconds / b.seconds[round]));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The quickstart's config (examples/quickstart/README.md) pointing at the in-process ark-local. */
function quickstartConfig(ark: ArkLocal, namespace: string, modelDir: string, modelUnitId: string): Record<string, string> {
  return {
    ...arkStackConfig(ark.providerSettings()),
    [`${namespace}:modelDir`]: modelDir,
    [`${namespace}:baseModel`]: BASE_MODEL,
    [`${namespace}:bucket`]: 'bench-models',
    [`${namespace}:createBucket`]: 'true',
    [`${namespace}:modelUnitId`]: modelUnitId,
  };
}

/** The provider's `ark:*` stack config for a bench's ark-local. */
export function arkStackConfig(settings: ProviderSettings): Record<string, string> {
  return {
    'ark:endpoint': settings.arkEndpoint,
    'ark:tosEndpoint': settings.tosEndpoint,
    'ark:chatBaseUrl': settings.chatBaseUrl,
    'ark:region': settings.region,
    // Plaintext: ark-local's throwaway keys (and hub token), and the bench deletes its stacks.
    'ark:accessKey': settings.accessKeyId,
    'ark:secretKey': settings.secretAccessKey,
    ...(settings.hubEndpoint ? { 'ark:hubEndpoint': settings.hubEndpoint } : {}),
    ...(settings.hubToken ? { 'ark:hubToken': settings.hubToken } : {}),
  };
}

/**
 * The files of examples/quickstart as they are in the repository (program, Pulumi.yaml, tsconfig.json), so its
 * stack config does not land in the example's directory. `pulumi-ark` still resolves: tmp/ is in the repo.
 */
export function copyQuickstart(dir: string): Project {
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of fs.readdirSync(QUICKSTART_DIR, { withFileTypes: true })) {
    if (entry.isFile() && !/^Pulumi\..+\.yaml$/.test(entry.name)) fs.copyFileSync(path.join(QUICKSTART_DIR, entry.name), path.join(dir, entry.name));
  }
  return { label: 'examples/quickstart (3 resources)', dir, configNamespace: 'ark-quickstart', seconds: [] };
}

/** What `pulumi new typescript` leaves once its resources are removed. */
export function writeEmptyProject(dir: string, sameTsconfigAsQuickstart: boolean): Project {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'Pulumi.yaml'), `name: bench-${path.basename(dir)}\nruntime: nodejs\nmain: index.ts\n`);
  fs.writeFileSync(path.join(dir, 'index.ts'), "import * as pulumi from '@pulumi/pulumi';\n\nexport const stack = pulumi.getStack();\n");
  if (sameTsconfigAsQuickstart) copyTsconfig(dir);
  const label = sameTsconfigAsQuickstart ? "empty program, quickstart's tsconfig.json" : 'empty TypeScript program';
  return { label, dir, seconds: [] };
}

/** Five quickstart chains, each with its own TOS prefix, reading the quickstart's config keys. */
function writePipelinesProject(dir: string): Project {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'Pulumi.yaml'), 'name: bench-pipelines\nruntime: nodejs\nmain: index.ts\n');
  copyTsconfig(dir);
  fs.writeFileSync(
    path.join(dir, 'index.ts'),
    `import * as pulumi from '@pulumi/pulumi';
import * as ark from 'pulumi-ark';

const config = new pulumi.Config();
const baseModel = config.require('baseModel');
export const endpointIds: pulumi.Output<string>[] = [];
for (let i = 0; i < ${PIPELINES}; i++) {
  const weights = new ark.TosModelDir(\`weights-\${i}\`, {
    source: config.require('modelDir'),
    bucket: config.require('bucket'),
    prefix: \`pipelines/\${i}/\`,
    baseModel,
    createBucket: true,
  });
  const model = new ark.CustomModel(\`model-\${i}\`, {
    name: \`bench-\${i}\`,
    baseModel,
    location: weights.location,
    contentDigest: weights.contentDigest,
    quantization: weights.quantization,
  });
  const endpoint = new ark.ModelUnitEndpoint(\`chat-\${i}\`, { name: \`bench-\${i}\`, customModelId: model.id, modelUnitId: config.require('modelUnitId') });
  endpointIds.push(endpoint.id);
}
`,
  );
  return { label: `${PIPELINES} quickstart pipelines (${PIPELINES * 3} resources)`, dir, configNamespace: 'bench-pipelines', seconds: [] };
}

function copyTsconfig(dir: string): void {
  const tsconfig = path.join(QUICKSTART_DIR, 'tsconfig.json');
  if (fs.existsSync(tsconfig)) fs.copyFileSync(tsconfig, path.join(dir, 'tsconfig.json'));
}

export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} (in ${path.relative(REPO_ROOT, cwd) || '.'}) exited ${code}:\n${output}`));
    });
  });
}
