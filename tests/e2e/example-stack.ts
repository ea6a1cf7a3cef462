/**
 * The setup most e2e tests share, built on openExample (cli-harness.ts): an in-process ark-local with its own
 * random credentials and its objects on disk, a synthetic model directory, a model unit, and the example's
 * stack initialised and configured the way its README says (the examples quickstart, yaml and python all take
 * modelDir, baseModel, bucket, createBucket and modelUnitId). Tests that must show the setup steps themselves
 * (`stack init`, `config set`) pass `init: false` and run them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal, type EmulatorCredential, type TransitionPolicy } from '../../emulator';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { openExample, repoTempDir, requireBuiltPackage, uniqueCredential, type CliResult, type ExampleRun, type RunOptions } from './cli-harness';

/** The base model of every synthetic model here: the smallest (its sparse weights cost no disk). */
export const BASE_MODEL = 'Qwen2.5-0.5B';

export interface ExampleStackOptions {
  /** The example directory, relative to the repository (`examples/quickstart`). */
  example: string;
  /** Names the temporary directories and the model unit; the stack is `e2e-<name>` unless `stack` says. */
  name: string;
  stack?: string;
  /** ark-local's transition policy; default immediate. */
  transitions?: TransitionPolicy;
  /** ark-local's variance mode (emulator/ark/variance.ts). */
  variance?: boolean;
  /** Slots of the model unit (ark-local's default when left out). */
  slots?: number;
  /** How endpoints and keys reach the provider (cli-harness ArkTarget); default secret stack config. */
  via?: 'config' | 'env';
  /** An existing synthetic model directory (shared between trials); by default one is written for this stack. */
  modelDir?: string;
  /** Stack config beyond the defaults, set with them. */
  config?: Record<string, string>;
  /** Leave `stack init` and the config to the test. */
  init?: boolean;
  /** Backend and PULUMI_HOME outside the repository (cli-harness `outside`). */
  outside?: boolean;
  /**
   * Options of every `pulumi` run of `stack.pulumi` (a Python virtualenv on PATH, ark-local's hub as
   * HF_ENDPOINT...), given the opened run and the started ark-local.
   */
  runOptions?: (run: ExampleRun, ark: ArkLocal) => RunOptions;
}

export interface ExampleStack {
  ark: ArkLocal;
  run: ExampleRun;
  stack: string;
  credential: EmulatorCredential;
  modelDir: string;
  modelUnitId: string;
  /** The program's config before any `configure` (what `init` set). */
  defaults: Record<string, string>;
  /** `pulumi <args>` in the example directory, with `runOptions`; resolves with whatever the CLI did. */
  pulumi(args: readonly string[]): Promise<CliResult>;
  /** Same, but rejects with the CLI's output unless it exits 0. */
  pulumiOk(args: readonly string[]): Promise<CliResult>;
  /** Sets the program's config to the defaults plus `values`; keys of earlier calls not repeated are removed. */
  configure(values: Record<string, string>): Promise<void>;
  /** The official TOS client, signed with this stack's keys, on ark-local's TOS endpoint. */
  tos(): TosClient;
  /** `pulumi stack output --json`. */
  outputs(): Promise<Record<string, string>>;
  /** New weights: `temperature` written into generation_config.json (a new contentDigest, so a new CustomModel). */
  newWeights(temperature: number): void;
  close(): Promise<void>;
}

export async function startExampleStack(opts: ExampleStackOptions): Promise<ExampleStack> {
  requireBuiltPackage();
  const credential = uniqueCredential();
  // ark-local's data and the synthetic model (unless one was given); removed by close.
  const dataDir = repoTempDir(`${opts.name}-data`);
  let ark: ArkLocal | undefined;
  let run: ExampleRun | undefined;
  try {
    // Objects on disk rather than in this process's memory: the synthetic model is ~1 GB.
    ark = await startArkLocal({
      dataDir: path.join(dataDir, 'ark-local'),
      credentials: [credential],
      transitions: opts.transitions ?? { mode: 'immediate' },
      ...(opts.variance && { variance: true }),
    });
    const modelDir = opts.modelDir ?? path.join(dataDir, 'model');
    if (!opts.modelDir) await writeSyntheticModel(modelDir, { base: BASE_MODEL, fill: 'sparse' });
    const modelUnitId = (await ark.admin.createModelUnit({ name: `e2e-${opts.name}`, ...(opts.slots && { slots: opts.slots }) })).Id;
    const opened = await openExample({ example: opts.example, name: opts.name, ...(opts.outside && { outside: true }), ark: { ark, credential, via: opts.via ?? 'config' } });
    run = opened;
    const runOptions = opts.runOptions?.(opened, ark) ?? {};
    const pulumi = (args: readonly string[]) => opened.pulumi(args, runOptions);
    const pulumiOk = (args: readonly string[]) => opened.pulumiOk(args, runOptions);

    // e2e-* stack names: .gitignore covers the Pulumi.<stack>.yaml an interrupted run leaves in the example.
    const stack = opts.stack ?? `e2e-${opts.name}`;
    const defaults = { modelDir, baseModel: BASE_MODEL, bucket: 'models', createBucket: 'true', modelUnitId, ...opts.config };
    let overridden = new Set<string>();
    const configure = async (values: Record<string, string>) => {
      const stale = [...overridden].filter((key) => !(key in values) && !(key in defaults));
      if (stale.length) await pulumiOk(['config', 'rm-all', ...stale]);
      overridden = new Set(Object.keys(values));
      await pulumiOk(['config', 'set-all', ...plaintext({ ...defaults, ...values })]);
    };
    if (opts.init ?? true) {
      await pulumiOk(['stack', 'init', stack]);
      await pulumiOk(['config', 'set-all', ...(opts.via === 'env' ? [] : opened.arkConfigArgs()), ...plaintext(defaults)]);
    }

    const started = ark;
    return {
      ark: started,
      run: opened,
      stack,
      credential,
      modelDir,
      modelUnitId,
      defaults,
      pulumi,
      pulumiOk,
      configure,
      tos() {
        return new TosClient({ accessKeyId: credential.accessKeyId, accessKeySecret: credential.secretAccessKey, region: started.region, endpoint: started.tosEndpoint, secure: false });
      },
      async outputs() {
        return JSON.parse((await pulumiOk(['stack', 'output', '--json'])).stdout) as Record<string, string>;
      },
      newWeights(temperature) {
        const file = path.join(modelDir, 'generation_config.json');
        fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), temperature }, null, 2));
      },
      async close() {
        await opened.close();
        await started.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await run?.close();
    await ark?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** `--plaintext k=v ...` for `pulumi config set-all`. */
function plaintext(config: Record<string, string>): string[] {
  return Object.entries(config).flatMap(([key, value]) => ['--plaintext', `${key}=${value}`]);
}
