/**
 * e2e fixture: the quickstart example deployed by the real Pulumi engine (Automation API, inline program,
 * file:// backend, passphrase secrets) against an in-process ark-local with its own random credentials. Only
 * for what a directory run (cli-harness.ts) cannot do, such as finding and killing the CLI mid-update.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigMap, Stack } from '@pulumi/pulumi/automation';
import { startArkLocal, type ArkLocal, type TransitionPolicy } from '../../emulator';
import { quickstart } from '../../examples/quickstart/program';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { openOfflineStack } from '../../scripts/pulumi-workspace';
import { repoTempDir, requireBuiltPackage, uniqueCredential } from './cli-harness';

export const PROJECT = 'ark-quickstart';
export const BASE_MODEL = 'Qwen2.5-0.5B';

export interface QuickstartFixture {
  ark: ArkLocal;
  stack: Stack;
  stateDir: string;
  /** A valid synthetic Qwen2.5-0.5B directory (sparse: no disk cost). */
  modelDir: string;
  modelUnitId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The quickstart's own config (`ark-quickstart:*`), plus `overrides`; ark:* is set once at start. */
  configure(overrides?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  name: string;
  /** How credentials reach the provider: secret stack config, or environment variables of the CLI. */
  credentials: 'config' | 'env';
  transitions?: TransitionPolicy;
}

export async function startQuickstart(opts: FixtureOptions): Promise<QuickstartFixture> {
  requireBuiltPackage('dist/provider/runtime.js', 'the dynamic provider process loads the built package');
  const stateDir = repoTempDir(opts.name);
  const { accessKeyId, secretAccessKey } = uniqueCredential();
  // Objects on disk rather than in this process's memory: the synthetic model is ~1 GB.
  const ark = await startArkLocal({
    dataDir: path.join(stateDir, 'ark-local'),
    credentials: [{ accessKeyId, secretAccessKey }],
    transitions: opts.transitions ?? { mode: 'immediate' },
  });
  const modelDir = path.join(stateDir, 'model');
  await writeSyntheticModel(modelDir, { base: BASE_MODEL, fill: 'sparse' });
  const unit = await ark.admin.createModelUnit({ name: `e2e-${opts.name}` });

  const credentialEnv =
    opts.credentials === 'env'
      ? { VOLCENGINE_ACCESS_KEY: accessKeyId, VOLCENGINE_SECRET_KEY: secretAccessKey }
      : { VOLCENGINE_ACCESS_KEY: '', VOLCENGINE_SECRET_KEY: '' };
  const stack = await openOfflineStack({
    projectName: PROJECT,
    stackName: opts.name,
    program: async () => quickstart(),
    stateDir,
    passphrase: `e2e-${randomBytes(8).toString('hex')}`,
    // Blank the other credential sources the developer's shell may carry.
    envVars: { ...credentialEnv, VOLC_ACCESSKEY: '', VOLC_SECRETKEY: '' },
  });
  const arkConfig: ConfigMap = {
    'ark:endpoint': { value: ark.url },
    'ark:tosEndpoint': { value: ark.tosEndpoint },
    'ark:chatBaseUrl': { value: ark.chatBaseUrl },
    'ark:region': { value: ark.region },
  };
  if (opts.credentials === 'config') {
    arkConfig['ark:accessKey'] = { value: accessKeyId, secret: true };
    arkConfig['ark:secretKey'] = { value: secretAccessKey, secret: true };
  }
  await stack.setAllConfig(arkConfig);

  let configuredKeys = new Set<string>();
  const fixture: QuickstartFixture = {
    ark,
    stack,
    stateDir,
    modelDir,
    modelUnitId: unit.Id,
    accessKeyId,
    secretAccessKey,
    async configure(overrides = {}) {
      const values: Record<string, string> = {
        modelDir,
        baseModel: BASE_MODEL,
        bucket: 'models',
        createBucket: 'true',
        modelUnitId: unit.Id,
        ...overrides,
      };
      const config: ConfigMap = {};
      for (const [key, value] of Object.entries(values)) config[`${PROJECT}:${key}`] = { value };
      // Overrides of an earlier call that this one does not repeat go back to the program's defaults.
      const stale = [...configuredKeys].filter((key) => !(key in config));
      if (stale.length) await stack.removeAllConfig(stale);
      await stack.setAllConfig(config);
      configuredKeys = new Set(Object.keys(config));
    },
    async close() {
      await ark.close();
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
  await fixture.configure();
  return fixture;
}
