/**
 * e2e fixture for the programs served by the native plugin (examples/yaml, examples/python): the real `pulumi`
 * binary in the example directory (tests/e2e/cli-harness.ts), against an in-process ark-local with its own
 * random credentials, a synthetic model and a model unit, the stack initialised and configured.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { openExample, repoTempDir, requireBuiltPackage, uniqueCredential, type CliResult, type ExampleRun, type RunOptions } from './cli-harness';
import { BASE_MODEL } from './harness';

export { BASE_MODEL, type CliResult };

export interface PluginStack {
  ark: ArkLocal;
  run: ExampleRun;
  stack: string;
  /** Scratch space of this run (state, ark-local data, the model, the Python virtualenv). */
  workDir: string;
  modelDir: string;
  modelUnitId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `pulumi <args>` in the example directory (with the example's Python, if any). */
  pulumi(args: string[]): Promise<CliResult>;
  /** Sets the program's config: the defaults plus `values`; keys of earlier calls not repeated are removed. */
  configure(values: Record<string, string>): Promise<void>;
  /** Another project directory run by the same CLI setup, the provider configured through the environment. */
  openProject(dir: string): Promise<ExampleRun>;
  close(): Promise<void>;
}

/** Fails with the CLI's output when it did not exit 0. */
export function ok(result: CliResult): CliResult {
  if (result.code !== 0) throw new Error(`pulumi exited ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result;
}

export async function startPluginStack(opts: { example: 'yaml' | 'python'; name: string }): Promise<PluginStack> {
  requireBuiltPackage('dist/provider/native/main.js', 'bin/pulumi-resource-ark loads it');
  const credential = uniqueCredential();
  const { accessKeyId, secretAccessKey } = credential;
  // Objects on disk rather than in this process's memory: the synthetic model is ~1 GB.
  const arkDir = repoTempDir(`${opts.name}-ark`);
  const ark = await startArkLocal({ dataDir: arkDir, credentials: [credential], transitions: { mode: 'immediate' }, quiet: true });
  const stopArk = async () => {
    await ark.close();
    fs.rmSync(arkDir, { recursive: true, force: true });
  };
  const runs: ExampleRun[] = [];
  try {
    const run = await openExample({ example: `examples/${opts.example}`, name: opts.name, ark: { ark, credential, via: 'config' } });
    runs.push(run);
    const workDir = run.stateDir;
    const modelDir = path.join(workDir, 'model');
    await writeSyntheticModel(modelDir, { base: BASE_MODEL, fill: 'sparse' });
    const unit = await ark.admin.createModelUnit({ name: `e2e-${opts.name}`, slots: 4 });
    const runOptions: RunOptions = opts.example === 'python' ? { env: { PATH: `${pythonWithSdk(run)}${path.delimiter}${run.env.PATH}` } } : {};
    const pulumi = (args: string[]) => run.pulumi(args, runOptions);

    // e2e-* stack names: .gitignore covers the Pulumi.<stack>.yaml an interrupted run leaves in the example.
    const stack = `e2e-${opts.name}`;
    ok(await pulumi(['stack', 'init', stack]));
    ok(await pulumi(['config', 'set-all', ...run.arkConfigArgs()]));
    const defaults: Record<string, string> = { modelDir, baseModel: BASE_MODEL, bucket: 'models', createBucket: 'true', modelUnitId: unit.Id };
    let overridden = new Set<string>();
    const configure = async (values: Record<string, string>) => {
      const stale = [...overridden].filter((key) => !(key in values) && !(key in defaults));
      if (stale.length) ok(await pulumi(['config', 'rm-all', ...stale]));
      overridden = new Set(Object.keys(values));
      ok(await pulumi(['config', 'set-all', ...Object.entries({ ...defaults, ...values }).flatMap(([k, v]) => ['--plaintext', `${k}=${v}`])]));
    };
    await configure({});

    return {
      ark,
      run,
      stack,
      workDir,
      modelDir,
      modelUnitId: unit.Id,
      accessKeyId,
      secretAccessKey,
      pulumi,
      configure,
      async openProject(dir) {
        const other = await openExample({ example: dir, name: `${opts.name}-project`, ark: { ark, credential, via: 'env' } });
        runs.push(other);
        return other;
      },
      async close() {
        for (const r of runs.reverse()) await r.close();
        await stopArk();
      },
    };
  } catch (error) {
    for (const r of runs) await r.close();
    await stopArk();
    throw error;
  }
}

/**
 * A virtualenv for examples/python, made as its README says (`pip install -r requirements.txt`, which installs
 * ./sdk/python), on top of the Python the CLI harness provides (with the `pulumi` SDK, linked in by a .pth file
 * so nothing is installed twice; pip fetches only what it lacks, such as the SDK's build tools and parver).
 * Returns its bin directory, which goes first on the CLI's PATH.
 */
function pythonWithSdk(run: ExampleRun): string {
  const venv = path.join(run.stateDir, 'venv');
  const env = { ...run.env };
  const purelib = ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'];
  const shared = execFileSync('python3', purelib, { env, encoding: 'utf8' }).trim();
  execFileSync('python3', ['-m', 'venv', venv], { env });
  const own = execFileSync(path.join(venv, 'bin', 'python'), purelib, { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(own, 'pulumi-ark-cli-python.pth'), `${shared}\n`);
  execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', 'requirements.txt'], {
    cwd: run.dir,
    env,
    stdio: 'pipe',
  });
  // pip may leave build/ and pulumi_ark.egg-info in sdk/python: its .gitignore ignores them.
  return path.join(venv, 'bin');
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
