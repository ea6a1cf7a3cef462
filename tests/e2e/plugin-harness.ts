/**
 * e2e fixture for the programs served by the native plugin (examples/yaml, examples/python): the real `pulumi`
 * binary as a child process with cwd = the example directory, against an in-process ark-local with its own
 * random credentials. State (file:// backend), stack config (`--config-file`) and PULUMI_HOME live in a
 * throwaway directory, so the example directory is left as committed.
 *
 * Until issue 8's tests/e2e/cli-harness.ts is on this branch, this is the plugin tests' own small runner.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { BASE_MODEL, repoTempDir } from './harness';

export { BASE_MODEL };

const CLI_ROOT = process.env.PULUMI_ARK_CLI_ROOT ?? '/root/.cache/pulumi-ark/pulumi-v3.248.0';
const HOSTS_DIR = path.join(path.dirname(CLI_ROOT), 'hosts');
const PYTHON_VENV = path.join(path.dirname(CLI_ROOT), 'python-venv');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  stack?: string;
  configFile?: string;
  env?: Record<string, string>;
}

export interface PluginStack {
  ark: ArkLocal;
  dir: string;
  stack: string;
  workDir: string;
  modelDir: string;
  modelUnitId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `pulumi <args>` in the example directory for this stack and its config file, unless `opts` say otherwise. */
  pulumi(args: string[], opts?: CliOptions): Promise<CliResult>;
  /** The ark-local settings as the provider's environment fallbacks (docs/configuration.md). */
  arkEnv: Record<string, string>;
  /** `pulumi stack init` of another stack, `opts.configFile` receiving its config. */
  initStack(opts: Required<Pick<CliOptions, 'cwd' | 'stack' | 'configFile'>> & CliOptions): Promise<void>;
  /** Sets the program's config: the defaults of `start` plus `values`; keys of earlier calls not repeated are removed. */
  configure(values: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** Fails with the CLI's output when it did not exit 0. */
export function ok(result: CliResult): CliResult {
  if (result.code !== 0) throw new Error(`pulumi exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result;
}

export function pluginBuilt(): void {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'provider', 'native', 'main.js'))) {
    throw new Error('dist/provider/native/main.js is missing: run `npm run build` first (bin/pulumi-resource-ark loads it).');
  }
}

export async function startPluginStack(opts: { example: 'yaml' | 'python'; name: string }): Promise<PluginStack> {
  pluginBuilt();
  const workDir = repoTempDir(opts.name);
  const accessKeyId = `AKLTe2e${randomBytes(6).toString('hex')}`;
  const secretAccessKey = `SKe2e${randomBytes(18).toString('hex')}`;
  const ark = await startArkLocal({
    dataDir: path.join(workDir, 'ark-local'),
    credentials: [{ accessKeyId, secretAccessKey }],
    transitions: { mode: 'immediate' },
    quiet: true,
  });
  const modelDir = path.join(workDir, 'model');
  await writeSyntheticModel(modelDir, { base: BASE_MODEL, fill: 'sparse' });
  const unit = await ark.admin.createModelUnit({ name: `e2e-${opts.name}`, slots: 4 });
  const dir = path.join(REPO_ROOT, 'examples', opts.example);
  const stack = opts.name;
  const configFile = path.join(workDir, `Pulumi.${stack}.yaml`);
  fs.mkdirSync(path.join(workDir, 'backend'));
  const python = opts.example === 'python' ? pythonWithSdk(workDir, dir) : path.join(PYTHON_VENV, 'bin');
  const env: NodeJS.ProcessEnv = {
    PATH: [path.join(CLI_ROOT, 'bin'), HOSTS_DIR, python, process.env.PATH].join(path.delimiter),
    HOME: process.env.HOME,
    PULUMI_HOME: path.join(workDir, 'pulumi-home'),
    PULUMI_BACKEND_URL: `file://${path.join(workDir, 'backend')}`,
    PULUMI_CONFIG_PASSPHRASE: `e2e-${randomBytes(8).toString('hex')}`,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    // Credentials come from secret stack config only; blank what the developer's shell may carry.
    VOLCENGINE_ACCESS_KEY: '',
    VOLCENGINE_SECRET_KEY: '',
    VOLC_ACCESSKEY: '',
    VOLC_SECRETKEY: '',
    NO_COLOR: '1',
  };
  const pulumi = (args: string[], opts: CliOptions = {}) =>
    new Promise<CliResult>((resolve) => {
      // `stack init` is the one command here without --config-file.
      const config = args[0] === 'stack' ? [] : ['--config-file', opts.configFile ?? configFile];
      const full = [...args, '--stack', opts.stack ?? stack, ...config, '--non-interactive', '--color', 'never'];
      const options = { cwd: opts.cwd ?? dir, env: { ...env, ...opts.env }, maxBuffer: 64 * 1024 * 1024 };
      execFile(path.join(CLI_ROOT, 'bin', 'pulumi'), full, options, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  const defaults: Record<string, string> = {
    modelDir,
    baseModel: BASE_MODEL,
    bucket: 'models',
    createBucket: 'true',
    modelUnitId: unit.Id,
  };
  let overridden = new Set<string>();
  const set = async (key: string, value: string, secret = false) =>
    ok(await pulumi(['config', 'set', ...(secret ? ['--secret'] : ['--plaintext']), key, value]));

  try {
    await initStack(pulumi, dir, stack, configFile);
    await set('ark:endpoint', ark.url);
    await set('ark:tosEndpoint', ark.tosEndpoint);
    await set('ark:chatBaseUrl', ark.chatBaseUrl);
    await set('ark:region', ark.region);
    await set('ark:accessKey', accessKeyId, true);
    await set('ark:secretKey', secretAccessKey, true);
    for (const [key, value] of Object.entries(defaults)) await set(key, value);
  } catch (error) {
    await ark.close();
    throw error;
  }

  return {
    ark,
    dir,
    stack,
    workDir,
    modelDir,
    modelUnitId: unit.Id,
    accessKeyId,
    secretAccessKey,
    pulumi,
    initStack: (opts) => initStack(pulumi, dir, opts.stack, opts.configFile, opts),
    arkEnv: {
      VOLCENGINE_ACCESS_KEY: accessKeyId,
      VOLCENGINE_SECRET_KEY: secretAccessKey,
      VOLCENGINE_REGION: ark.region,
      ARK_ENDPOINT: ark.url,
      ARK_TOS_ENDPOINT: ark.tosEndpoint,
      ARK_CHAT_BASE_URL: ark.chatBaseUrl,
    },
    async configure(values) {
      for (const key of overridden) if (!(key in values) && !(key in defaults)) ok(await pulumi(['config', 'rm', key]));
      overridden = new Set(Object.keys(values));
      for (const [key, value] of Object.entries({ ...defaults, ...values })) await set(key, value);
    },
    async close() {
      await ark.close();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * A virtualenv for examples/python, made as its README says (`pip install -r requirements.txt`, which installs
 * ./sdk/python), on top of the CLI's Python venv (pulumi 3.248.0, linked in by a .pth file so nothing is
 * downloaded twice; pip fetches only what that venv lacks, such as the SDK's build tools and parver).
 * Returns its bin directory, which goes first on the PATH of the CLI.
 */
function pythonWithSdk(workDir: string, exampleDir: string): string {
  const venv = path.join(workDir, 'venv');
  execFileSync(path.join(PYTHON_VENV, 'bin', 'python'), ['-m', 'venv', venv]);
  const shared = execFileSync(path.join(PYTHON_VENV, 'bin', 'python'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
  const own = execFileSync(path.join(venv, 'bin', 'python'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(own, 'pulumi-ark-cli-venv.pth'), `${shared}\n`);
  execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', 'requirements.txt'], { cwd: exampleDir, stdio: 'pipe' });
  // pip may leave build/ and pulumi_ark.egg-info in sdk/python: its .gitignore ignores them.
  return path.join(venv, 'bin');
}

/**
 * `pulumi stack init` has no --config-file: it writes the stack's encryption salt to Pulumi.<stack>.yaml in the
 * project directory. Moved out at once, so the example directory stays as committed.
 */
async function initStack(pulumi: PluginStack['pulumi'], dir: string, stack: string, configFile: string, opts: CliOptions = {}) {
  const written = path.join(opts.cwd ?? dir, `Pulumi.${stack}.yaml`);
  fs.rmSync(written, { force: true });
  ok(await pulumi(['stack', 'init'], opts));
  fs.renameSync(written, configFile);
}

/** Every file under `dir`, concatenated: the grep target of "no credentials in state". */
export function readAll(dir: string): string {
  let text = '';
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

/** What ark-local holds: endpoints with status, custom model ids, object count. */
export async function inventory(ark: ArkLocal) {
  const state = await ark.admin.state();
  return {
    endpoints: state.endpoints.map((e) => `${e.Id} ${e.Status}`),
    customModels: state.customModels.map((m) => m.Id),
    objects: state.tos.buckets.reduce((n, b) => n + b.objects, 0),
  };
}
