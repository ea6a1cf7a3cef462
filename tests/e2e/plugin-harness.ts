/**
 * e2e fixture for the programs served by the native plugin (examples/yaml, examples/python): the shared example
 * stack (example-stack.ts: the real `pulumi` binary in the example directory against an in-process ark-local,
 * a synthetic model and a model unit, the stack initialised and configured), with the example's Python
 * virtualenv on PATH, and further projects run by the same CLI setup.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArkLocal } from '../../emulator';
import { openExample, requireBuiltPackage, type ExampleRun } from './cli-harness';
import { startExampleStack, type ExampleStack } from './example-stack';

export interface PluginStack extends ExampleStack {
  /** Another project directory run by the same CLI setup, the provider configured through the environment. */
  openProject(dir: string): Promise<ExampleRun>;
}

export interface PluginStackOptions {
  example: 'yaml' | 'python';
  name: string;
  /** Environment of every `pulumi` run besides the harness's (the provider's fallbacks, such as HF_ENDPOINT). */
  env?: (ark: ArkLocal) => Record<string, string>;
}

export async function startPluginStack(opts: PluginStackOptions): Promise<PluginStack> {
  requireBuiltPackage('dist/provider/native/main.js', 'bin/pulumi-resource-ark loads it');
  const stack = await startExampleStack({
    example: `examples/${opts.example}`,
    name: opts.name,
    runOptions: (run, ark) => ({
      env: {
        ...opts.env?.(ark),
        ...(opts.example === 'python' && { PATH: `${pythonWithSdk(run)}${path.delimiter}${run.env.PATH}` }),
      },
    }),
  });
  const projects: ExampleRun[] = [];
  return {
    ...stack,
    async openProject(dir) {
      const project = await openExample({ example: dir, name: `${opts.name}-project`, ark: { ark: stack.ark, credential: stack.credential, via: 'env' } });
      projects.push(project);
      return project;
    },
    async close() {
      for (const project of projects.reverse()) await project.close();
      await stack.close();
    },
  };
}

/**
 * A virtualenv for examples/python, made as its README says (`pip install -r requirements.txt`, which installs
 * ./sdk/python). Returns its bin directory, which goes first on the CLI's PATH.
 */
function pythonWithSdk(run: ExampleRun): string {
  return virtualenv(run, ['-r', 'requirements.txt'], run.dir);
}

/**
 * A virtualenv in the run's state directory with `pip install <pipArgs>` (run in `cwd`), on top of the Python the
 * CLI harness provides (with the `pulumi` SDK the CLI and its language host were built with, linked in by a .pth
 * file so nothing is installed twice; pip fetches only what else is required). Returns its bin directory.
 */
export function virtualenv(run: ExampleRun, pipArgs: readonly string[], cwd: string): string {
  const venv = path.join(run.stateDir, 'venv');
  const env = { ...run.env };
  const purelib = ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'];
  const shared = execFileSync('python3', purelib, { env, encoding: 'utf8' }).trim();
  execFileSync('python3', ['-m', 'venv', venv], { env });
  const own = execFileSync(path.join(venv, 'bin', 'python'), purelib, { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(own, 'pulumi-ark-cli-python.pth'), `${shared}\n`);
  execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...pipArgs], { cwd, env, stdio: 'pipe' });
  // pip may leave build/ and pulumi_ark.egg-info in sdk/python: its .gitignore ignores them.
  return path.join(venv, 'bin');
}
