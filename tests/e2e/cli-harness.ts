/**
 * e2e harness for directory programs: runs the real `pulumi` binary as a child process with cwd = an example
 * directory, the way users and CI runners do, against an isolated file:// backend, PULUMI_HOME and passphrase
 * (the offline env of scripts/pulumi-workspace.ts), with the CLI, the language hosts and the Python SDK from
 * scripts/pulumi-cli.sh on PATH. Language-agnostic: the program's runtime (nodejs, python, yaml) is whatever
 * the example's Pulumi.yaml says. ark-local's endpoints and keys reach the provider as stack config
 * (`arkConfigArgs()` for `pulumi config set-all`) or as environment variables (`ark.via: 'env'`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ArkLocal, EmulatorCredential } from '../../emulator';
import { ensurePulumiTools, offlineEnv, REPO_ROOT } from '../../scripts/pulumi-workspace';

export interface CliResult {
  /** Exit code, or null when a signal ended the CLI. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Added to (and overriding) the example's environment for this command only. */
  env?: Record<string, string>;
  /** Written to the CLI's stdin, which is then closed (stdin is always closed: no prompt can hang a test). */
  input?: string;
}

export interface SpawnedCli {
  /**
   * The `pulumi` process, leading its own process group. The engine starts its plugins (language host,
   * providers) in process groups of their own, so a signal to this group reaches the CLI, which must end them.
   */
  child: ChildProcess;
  /** Sends `signal` to the whole process group, like a CI runner cancelling a job or a terminal's Ctrl-C. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Settles when the CLI exits; never rejects for a non-zero exit. */
  result: Promise<CliResult>;
}

export interface ArkTarget {
  ark: ArkLocal;
  /** The keys; with `via: 'env'` they may be left out, for tests that pass them per command as CI would. */
  credential?: EmulatorCredential;
  /**
   * 'config': endpoints and keys are stack config, set by the test with `pulumi config set-all ...arkConfigArgs()`
   * after `stack init`. 'env': they are environment variables of every CLI run (ARK_ENDPOINT, VOLCENGINE_*...).
   */
  via: 'config' | 'env';
}

export interface ExampleOptions {
  /** The example directory: a path relative to the repository (`examples/quickstart`) or absolute. */
  example: string;
  /** Names the temporary state directory (`tmp/e2e-<name>-*`). */
  name: string;
  /**
   * Run in a copy of the whole `examples/` tree (inside the repository, so node_modules still resolve) instead of
   * the example itself: for tests that edit committed files, such as a stack config file under review.
   */
  copy?: boolean;
  /**
   * The state directory (backend, PULUMI_HOME) in the system temp directory instead of the repository's tmp/:
   * for programs installed the way users install them, which must not resolve anything from the repository.
   */
  outside?: boolean;
  ark?: ArkTarget;
}

export interface ExampleRun {
  /** The directory the CLI runs in (the example, or its copy). */
  readonly dir: string;
  /** Backend (`backend/`), PULUMI_HOME (`home/`) and anything else the test puts there. */
  readonly stateDir: string;
  /** The full environment of every CLI run. */
  readonly env: Record<string, string>;
  /** `pulumi <args>` in `dir`; resolves with whatever the CLI did. */
  pulumi(args: readonly string[], opts?: RunOptions): Promise<CliResult>;
  /** Same, but rejects, with the CLI's output in the message, unless it exits 0. */
  pulumiOk(args: readonly string[], opts?: RunOptions): Promise<CliResult>;
  /** `pulumi <args>` detached in its own process group, for tests that signal it mid-run. */
  spawnPulumi(args: readonly string[], opts?: RunOptions): SpawnedCli;
  /**
   * The CLI's own logs of this run, as text: since 3.249 every command writes one under `$PULUMI_HOME/logs`
   * (gzip, or encrypted with the stack's secrets provider once a stack is loaded), so a secret-leak check must
   * search them as well as the state. `pulumi logs decrypt` reads both kinds; the stacks must still exist.
   */
  readLogs(): Promise<string>;
  /** `--plaintext k=v ... --secret k=v ...` pointing the provider at ark-local (needs `ark.via: 'config'`). */
  arkConfigArgs(): string[];
  /**
   * Deletes the file:// backend's lock a killed CLI leaves behind: `pulumi cancel` does not exist for DIY
   * backends, so the operator removes it (docs/pulumi-cli.md).
   */
  removeLocks(): void;
  /** Removes the state directory, the copy, and the Pulumi.<stack>.yaml files this run's stacks left in `dir`. */
  close(): Promise<void>;
}

/** Keys unique to one test run, so a grep of the state files for them proves they never got there. */
export function uniqueCredential(): EmulatorCredential {
  return { accessKeyId: `AKLTe2e${randomBytes(6).toString('hex')}`, secretAccessKey: `SKe2e${randomBytes(18).toString('hex')}` };
}

/** Example programs import the built pulumi-ark: fail with the fix instead of a module-not-found trace. */
export function requireBuiltPackage(entry = 'dist/index.js', loadedBy = 'the example imports the built pulumi-ark'): void {
  if (!fs.existsSync(path.join(REPO_ROOT, entry))) throw new Error(`${entry} is missing: run \`npm run build\` first (${loadedBy}).`);
}

/** Throwaway directory inside the repo (gitignored tmp/), so node resolves pulumi-ark from programs and providers. */
export function repoTempDir(name: string): string {
  const parent = path.join(REPO_ROOT, 'tmp');
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, `e2e-${name}-`));
}

/**
 * Credential variables a developer's shell may carry; blanked (the provider reads empty as unset) so only what
 * the test chose reaches the provider. A real hub token would even be refused by ark-local's hub.
 */
const CREDENTIAL_ENV = ['VOLCENGINE_ACCESS_KEY', 'VOLCENGINE_SECRET_KEY', 'VOLC_ACCESSKEY', 'VOLC_SECRETKEY', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'];

/**
 * Throwaway directory in the system temp directory, outside the repository: node (a plugin, a program's
 * dependencies) resolves nothing from the repository's node_modules there.
 */
export function outsideTempDir(name: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `pulumi-ark-e2e-${name}-`)));
  if (dir.startsWith(REPO_ROOT + path.sep)) throw new Error(`${dir} is inside ${REPO_ROOT}: set TMPDIR to a directory outside the repository`);
  return dir;
}

export async function openExample(opts: ExampleOptions): Promise<ExampleRun> {
  const tools = await ensurePulumiTools();
  const stateDir = opts.outside ? outsideTempDir(opts.name) : repoTempDir(opts.name);
  for (const sub of ['backend', 'home']) fs.mkdirSync(path.join(stateDir, sub));
  const source = path.resolve(REPO_ROOT, opts.example);
  let dir = source;
  if (opts.copy) {
    // Copying examples/ keeps relative imports between examples (gitops -> quickstart) working.
    const examples = path.join(REPO_ROOT, 'examples');
    if (!source.startsWith(examples + path.sep)) throw new Error(`copy: ${source} is not under ${examples}`);
    fs.cpSync(examples, path.join(stateDir, 'examples'), { recursive: true });
    dir = path.join(stateDir, 'examples', path.relative(examples, source));
  }
  const preexisting = new Set(fs.readdirSync(dir));
  // Stacks this run named; `stack init` writes their Pulumi.<stack>.yaml next to Pulumi.yaml.
  const stacks = new Set<string>();
  const noteStacks = (args: readonly string[]) => {
    args.forEach((arg, i) => {
      const next = args[i + 1];
      if (next && ((arg === 'init' && args[i - 1] === 'stack') || arg === '--stack' || arg === '-s')) stacks.add(next);
    });
  };

  const env: Record<string, string> = {
    ...stringEnv(process.env),
    ...Object.fromEntries(CREDENTIAL_ENV.map((name) => [name, ''])),
    ...offlineEnv(stateDir, `e2e-${randomBytes(8).toString('hex')}`),
    PATH: [...tools.path, ...inheritedPath(opts.outside ?? false)].join(path.delimiter),
    // Plain text output: no colour codes and no progress animation in what the tests match.
    NO_COLOR: '1',
    PULUMI_ARK_CLI_ROOT: tools.root,
  };
  if (opts.ark?.via === 'env') Object.assign(env, arkEnv(opts.ark));

  const cli = path.join(tools.root, 'bin', 'pulumi');
  const start = (args: readonly string[], runOpts: RunOptions, detached: boolean) => {
    noteStacks(args);
    const child = spawn(cli, [...args, '--color', 'never'], {
      cwd: dir,
      env: { ...env, ...runOpts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin!.end(runOpts.input ?? '');
    const result = new Promise<CliResult>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, result };
  };

  const run: ExampleRun = {
    dir,
    stateDir,
    env,
    pulumi: (args, runOpts = {}) => start(args, runOpts, false).result,
    async pulumiOk(args, runOpts = {}) {
      const result = await start(args, runOpts, false).result;
      if (result.code !== 0) {
        throw new Error(`pulumi ${args.join(' ')} (in ${dir}) exited ${result.code ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
      }
      return result;
    },
    spawnPulumi(args, runOpts = {}) {
      const { child, result } = start(args, runOpts, true);
      return {
        child,
        result,
        signalGroup(signal) {
          if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, signal);
        },
      };
    },
    async readLogs() {
      const logs = path.join(stateDir, 'home', 'logs');
      // Listed once: each `logs decrypt` writes a log of its own, which holds nothing of the run.
      const files = fs.existsSync(logs) ? fs.readdirSync(logs).filter((f) => f.endsWith('.log')).sort() : [];
      if (files.length === 0) throw new Error(`no CLI logs in ${logs}: did the CLI (>= 3.249) run with this PULUMI_HOME?`);
      let text = '';
      for (const file of files) text += (await run.pulumiOk(['logs', 'decrypt', path.join(logs, file)])).stdout;
      return text;
    },
    arkConfigArgs() {
      if (opts.ark?.via !== 'config') throw new Error('arkConfigArgs needs ark: { via: "config" }');
      const { ark, credential } = opts.ark;
      if (!credential) throw new Error('arkConfigArgs needs ark.credential');
      return [
        ...['--plaintext', `ark:endpoint=${ark.url}`, '--plaintext', `ark:tosEndpoint=${ark.tosEndpoint}`],
        ...['--plaintext', `ark:chatBaseUrl=${ark.chatBaseUrl}`, '--plaintext', `ark:region=${ark.region}`],
        ...['--secret', `ark:accessKey=${credential.accessKeyId}`, '--secret', `ark:secretKey=${credential.secretAccessKey}`],
      ];
    },
    removeLocks() {
      fs.rmSync(path.join(stateDir, 'backend', '.pulumi', 'locks'), { recursive: true, force: true });
    },
    async close() {
      for (const stack of stacks) {
        const configFile = `Pulumi.${stack}.yaml`;
        if (!opts.copy && !preexisting.has(configFile)) fs.rmSync(path.join(dir, configFile), { force: true });
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return run;
}

/**
 * The PATH entries the CLI inherits. For `outside` runs, without those inside the repository: jest's PATH has
 * node_modules/.bin, where the package's link to itself puts `pulumi-resource-ark`, which the engine would take
 * as an ambient plugin instead of the installed one.
 */
function inheritedPath(outside: boolean): string[] {
  const entries = (process.env.PATH ?? '').split(path.delimiter);
  return outside ? entries.filter((dir) => !path.resolve(dir).startsWith(REPO_ROOT + path.sep)) : entries;
}

/** The provider settings as environment variables (provider/settings.ts reads these after stack config). */
function arkEnv({ ark, credential }: ArkTarget): Record<string, string> {
  return {
    ARK_ENDPOINT: ark.url,
    ARK_TOS_ENDPOINT: ark.tosEndpoint,
    ARK_CHAT_BASE_URL: ark.chatBaseUrl,
    VOLCENGINE_REGION: ark.region,
    ...(credential && { VOLCENGINE_ACCESS_KEY: credential.accessKeyId, VOLCENGINE_SECRET_KEY: credential.secretAccessKey }),
  };
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Every file under `dir`, recursively, as text (state files, backups, history, stack config). */
export function readTree(dir: string): string {
  let text = '';
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) text += readTree(full);
    else if (entry.isFile() && fs.statSync(full).size < 50 * 1024 * 1024) text += fs.readFileSync(full, 'utf8');
  }
  return text;
}
