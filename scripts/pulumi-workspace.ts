/**
 * Runs Pulumi programs through the Automation API on a machine without Pulumi Cloud access: the demo and the
 * e2e tests share it. Only the engine (`pulumi`) is needed: inline programs run in this node process, and the
 * engine launches the dynamic provider (`pulumi-resource-pulumi-nodejs`, next to `pulumi`) as a plain node
 * process that loads `pulumi-ark/provider-runtime` from the repository's node_modules.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from '@pulumi/pulumi/automation';

/** The repository (the pulumi-ark package root), found from this file in both scripts/ and dist/scripts/. */
export const REPO_ROOT = findPackageRoot(__dirname);

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'pulumi-ark') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no pulumi-ark package.json above ${from}`);
  }
}

let cliRoot: Promise<string> | undefined;

/**
 * The Pulumi installation root (holding bin/pulumi): `PULUMI_ARK_CLI_ROOT` when set (.ci/run exports it), else
 * whatever scripts/pulumi-cli.sh finds or builds (a `pulumi` on PATH, or the cached build). Its progress lines
 * go to our stderr, so a first-time build is visible.
 */
export function ensurePulumiCli(): Promise<string> {
  cliRoot ??= new Promise((resolve, reject) => {
    const fromEnv = process.env.PULUMI_ARK_CLI_ROOT;
    if (fromEnv) {
      if (!fs.existsSync(path.join(fromEnv, 'bin', 'pulumi'))) {
        reject(new Error(`PULUMI_ARK_CLI_ROOT=${fromEnv} has no bin/pulumi; unset it or run scripts/pulumi-cli.sh to get a root.`));
      } else resolve(fromEnv);
      return;
    }
    const child = execFile('bash', [path.join(REPO_ROOT, 'scripts', 'pulumi-cli.sh')], { maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) reject(new Error(`scripts/pulumi-cli.sh could not provide a Pulumi CLI (exit ${err.code ?? '?'}); see its messages above.`));
      else resolve(stdout.trim().split('\n').pop()!);
    });
    child.stderr?.pipe(process.stderr);
  });
  return cliRoot;
}

/** What a directory run (`pulumi up` in a program directory) needs besides the engine. */
export interface PulumiTools {
  /** The Pulumi installation root (holding bin/pulumi). */
  root: string;
  /**
   * PATH entries, first to last: the CLI, the language hosts (pulumi-language-nodejs, -python, -python-exec,
   * -yaml), and the bin/ of a virtualenv with the Python SDK. Prepend it to PATH for the CLI.
   */
  path: string[];
}

let tools: Promise<PulumiTools> | undefined;

/**
 * The CLI plus the language hosts and the Python SDK: `PULUMI_ARK_CLI_ROOT` and `PULUMI_ARK_TOOL_PATH` when both
 * are set (.ci/run exports them), else whatever `scripts/pulumi-cli.sh --env` finds on PATH or builds into its
 * cache (progress on our stderr).
 */
export function ensurePulumiTools(): Promise<PulumiTools> {
  tools ??= new Promise((resolve, reject) => {
    const root = process.env.PULUMI_ARK_CLI_ROOT;
    const toolPath = process.env.PULUMI_ARK_TOOL_PATH;
    if (root && toolPath) {
      resolve({ root, path: toolPath.split(path.delimiter).filter(Boolean) });
      return;
    }
    const child = execFile('bash', [path.join(REPO_ROOT, 'scripts', 'pulumi-cli.sh'), '--env'], { maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) {
        reject(new Error(`scripts/pulumi-cli.sh --env could not provide the Pulumi CLI and language hosts (exit ${err.code ?? '?'}); see its messages above.`));
        return;
      }
      const vars = new Map<string, string>();
      for (const [, name, value] of stdout.matchAll(/^(\w+)=(.*)$/gm)) vars.set(name!, value!);
      const printedRoot = vars.get('PULUMI_ARK_CLI_ROOT');
      const printedPath = vars.get('PULUMI_ARK_TOOL_PATH');
      if (!printedRoot || !printedPath) reject(new Error(`scripts/pulumi-cli.sh --env printed no PULUMI_ARK_CLI_ROOT / PULUMI_ARK_TOOL_PATH:\n${stdout}`));
      else resolve({ root: printedRoot, path: printedPath.split(path.delimiter).filter(Boolean) });
    });
    child.stderr?.pipe(process.stderr);
  });
  return tools;
}

export interface OfflineStackOptions {
  projectName: string;
  stackName: string;
  program: PulumiFn;
  /**
   * Holds the file:// backend, PULUMI_HOME and the workspace. Must be inside the repository: the engine starts
   * the dynamic provider in the workspace directory and node resolves `pulumi-ark` from there upwards.
   */
  stateDir: string;
  passphrase: string;
  /** Extra environment for the CLI and the provider process (e.g. credentials, or '' to blank inherited ones). */
  envVars?: Record<string, string>;
}

/** The environment that keeps the CLI off the network: local backend, passphrase secrets, no downloads. */
export function offlineEnv(stateDir: string, passphrase: string): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${path.join(stateDir, 'backend')}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_HOME: path.join(stateDir, 'home'),
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
  };
}

/** Creates or selects a stack that runs `program` inline against a file:// backend under `stateDir`. */
export async function openOfflineStack(opts: OfflineStackOptions): Promise<Stack> {
  const stateDir = path.resolve(opts.stateDir);
  if (!stateDir.startsWith(REPO_ROOT + path.sep)) {
    throw new Error(`stateDir ${stateDir} must be inside ${REPO_ROOT}, or the dynamic provider cannot load pulumi-ark.`);
  }
  const workDir = path.join(stateDir, 'workspace');
  for (const dir of [workDir, path.join(stateDir, 'backend'), path.join(stateDir, 'home')]) fs.mkdirSync(dir, { recursive: true });
  const pulumiCommand = await PulumiCommand.get({ root: await ensurePulumiCli() });
  return LocalWorkspace.createOrSelectStack(
    { projectName: opts.projectName, stackName: opts.stackName, program: opts.program },
    {
      workDir,
      pulumiCommand,
      projectSettings: { name: opts.projectName, runtime: 'nodejs' },
      envVars: { ...offlineEnv(stateDir, opts.passphrase), ...opts.envVars },
    },
  );
}

/**
 * When ark-local runs in the same process (demo, e2e), Pulumi's closure serializer walks every loaded module,
 * including the emscripten build inside tos-crc64-js, whose property getters print "is not longer defined by
 * emscripten" / "is a library symbol" warnings. They are harmless probes, not problems, so they are dropped
 * instead of alarming the user; every other line passes through. Emscripten binds `console.error` when it
 * loads: called before that, the console filter catches them (jest prints through its own console); called
 * after, the stderr filter does.
 */
export function dropEmscriptenProbeWarnings(): void {
  const probe = /^warning: `\w+` (is not longer defined by emscripten|is a library symbol and not included by default)/;
  const error = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && probe.test(args[0]))) error(...args);
  };
  const write = process.stderr.write.bind(process.stderr) as (chunk: unknown, ...rest: unknown[]) => boolean;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === 'string' && probe.test(chunk) ? true : write(chunk, ...rest)) as typeof process.stderr.write;
}
