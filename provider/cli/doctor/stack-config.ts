import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { STACK_CONFIG_KEYS, type StackConfig } from '../../settings';

/**
 * The stack config the provider would receive, read the way a user would: `pulumi config --json --show-secrets`
 * in the stack directory (a directory with Pulumi.yaml). Decided so because the provider gets exactly those
 * `ark:*` values from the engine, and the CLI knows the selected stack, the backend and how to decrypt secrets;
 * re-implementing that here would drift. Secrets stay in this process: they are never printed or written.
 */

export type StackConfigSource =
  | { kind: 'none'; why: string }
  | { kind: 'stack'; dir: string; config: StackConfig; keys: string[] }
  | { kind: 'failed'; dir: string; why: string };

export interface StackConfigOptions {
  dir: string;
  stack?: string;
  /** The pulumi binary; default `pulumi` on PATH. */
  pulumi?: string;
  env?: NodeJS.ProcessEnv;
}

export async function readStackConfig(opts: StackConfigOptions): Promise<StackConfigSource> {
  const dir = path.resolve(opts.dir);
  if (!existsSync(path.join(dir, 'Pulumi.yaml')) && !existsSync(path.join(dir, 'Pulumi.yml'))) {
    return { kind: 'none', why: `${dir} is not a Pulumi project directory (no Pulumi.yaml)` };
  }
  const args = ['config', '--json', '--show-secrets', ...(opts.stack ? ['--stack', opts.stack] : [])];
  let stdout: string;
  try {
    stdout = await run(opts.pulumi ?? 'pulumi', args, dir, opts.env ?? process.env);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') return { kind: 'none', why: `no pulumi CLI on PATH to read the stack config of ${dir}` };
    const detail = (e.stderr || e.message).trim().split('\n').slice(-3).join(' ');
    return { kind: 'failed', dir, why: `\`pulumi ${args.join(' ')}\` failed in ${dir}: ${detail}` };
  }
  const parsed = JSON.parse(stdout) as Record<string, { value?: unknown }>;
  const config: StackConfig = {};
  const keys: string[] = [];
  for (const key of STACK_CONFIG_KEYS) {
    const value = parsed[`ark:${key}`]?.value;
    if (typeof value === 'string') {
      config[key] = value;
      keys.push(`ark:${key}`);
    }
  }
  return { kind: 'stack', dir, config, keys };
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, maxBuffer: 4 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve(stdout);
    });
  });
}

/** A CustomModel of the stack's last deployment, as far as its base goes. */
export interface StackCustomModel {
  /** The resource name (the URN's last part). */
  name: string;
  baseModel?: string;
  baseModelRef?: { name?: string; modelVersion?: string; id?: string };
}

/** Type tokens of CustomModel: the dynamic resource (TypeScript programs) and the native plugin's. */
const CUSTOM_MODEL_TYPES = new Set(['pulumi-nodejs:dynamic/ark:CustomModel', 'ark:index:CustomModel']);

/**
 * The CustomModels of the stack's last deployment, from `pulumi stack export` (no secrets asked for: a base
 * reference is not one). Their `baseModelRef` is a resource input, not stack config, so the deployed state is
 * where the doctor can see it. Undefined when the stack has no state to read.
 */
export async function readStackCustomModels(opts: StackConfigOptions): Promise<StackCustomModel[] | undefined> {
  const args = ['stack', 'export', ...(opts.stack ? ['--stack', opts.stack] : [])];
  let stdout: string;
  try {
    stdout = await run(opts.pulumi ?? 'pulumi', args, path.resolve(opts.dir), opts.env ?? process.env);
  } catch {
    return undefined;
  }
  const exported = JSON.parse(stdout) as { deployment?: { resources?: { urn: string; type: string; inputs?: Record<string, unknown> }[] } };
  return (exported.deployment?.resources ?? [])
    .filter((r) => CUSTOM_MODEL_TYPES.has(r.type))
    .map((r) => ({
      name: r.urn.slice(r.urn.lastIndexOf('::') + 2),
      baseModel: typeof r.inputs?.baseModel === 'string' ? r.inputs.baseModel : undefined,
      baseModelRef: r.inputs?.baseModelRef as StackCustomModel['baseModelRef'],
    }));
}
