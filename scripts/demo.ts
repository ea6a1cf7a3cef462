/**
 * `npm start`: the whole pipeline on this machine, no cloud account needed.
 *
 *   1. a synthetic Qwen2.5-0.5B fine-tune (real file layout and tensor headers, zero-filled weights; cached)
 *   2. the Pulumi CLI (scripts/pulumi-cli.sh: a `pulumi` on PATH, or built once from the Go module proxy)
 *   3. ark-local, the emulator of Ark + TOS + the Chat API, in this process, state in .ark-local/
 *   4. a model unit (ark-local's admin API stands in for buying one in the console; made once)
 *   5. `pulumi up` of examples/quickstart: weights -> TOS, custom model import, endpoint on the model unit
 *   6. one chat completion through the endpoint with the openai client
 *
 * Run it again and step 5 is a no-op. `npm run demo:destroy` deletes what the demo deployed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OutputMap, Stack } from '@pulumi/pulumi/automation';
import OpenAI from 'openai';
import { DEFAULT_CREDENTIAL, startArkLocal, type ArkLocal } from '../emulator';
import { quickstart } from '../examples/quickstart/program';
import { writeSyntheticModel } from '../provider/model/synthetic';
import { dropEmscriptenProbeWarnings, ensurePulumiCli, openOfflineStack, REPO_ROOT } from './pulumi-workspace';

const BASE_MODEL = 'Qwen2.5-0.5B';
const PROJECT = 'ark-quickstart';
const STACK = 'demo';
const MODEL_UNIT_NAME = 'demo';
const BUCKET = 'demo-models';
/** ark-local's own default port and data directory, so `npm run emulator` later serves the same state. */
const PORT = Number(process.env.ARK_LOCAL_PORT ?? 9000);
const EMULATOR_DIR = path.join(REPO_ROOT, '.ark-local');
const PULUMI_DIR = path.join(REPO_ROOT, '.pulumi-state');
const MODEL_DIR = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pulumi-ark', 'demo-model', BASE_MODEL);
/** Only protects this local demo state; real stacks use their own passphrase or a cloud secrets manager. */
const PASSPHRASE = 'pulumi-ark-demo';
/** Long enough to watch the endpoint go Scheduling -> Running, short enough not to bore. */
const TRANSITION_SECONDS = 3;

const say = (line = '') => process.stdout.write(line + '\n');
const detail = (text: string) => say(`      ${text}`);
let stepCount = 0;
let stepTotal = 0;
const step = (text: string) => say(`\n[${++stepCount}/${stepTotal}] ${text}`);

async function main(): Promise<void> {
  dropEmscriptenProbeWarnings();
  if (process.argv.includes('--destroy')) await destroy();
  else await deploy();
}

async function deploy(): Promise<void> {
  stepTotal = 6;
  say('pulumi-ark demo: serve a fine-tuned LLM on (emulated) Volcengine Ark with Pulumi.');
  step(`Model weights: a synthetic ${BASE_MODEL} fine-tune`);
  await ensureModel();
  step('Pulumi CLI');
  detail(`using ${path.join(await ensurePulumiCli(), 'bin', 'pulumi')}`);
  step('ark-local, the local stand-in for Ark, TOS and the Chat API');
  const ark = await startEmulator();
  try {
    step('Model unit (the GPU capacity an endpoint runs on)');
    const stack = await openStack(ark, await ensureModelUnit(ark));

    step(`pulumi up of examples/quickstart (stack "${STACK}", state in ${path.relative(REPO_ROOT, PULUMI_DIR)}/)`);
    detail('TosModelDir uploads what changed, CustomModel imports it, ModelUnitEndpoint serves it. Engine output:');
    const result = await stack.up({ onOutput: engineOutput() });
    const changes = Object.entries(result.summary.resourceChanges ?? {})
      .filter(([op]) => op !== 'same')
      .map(([op, n]) => `${n} ${op}`);
    detail(changes.length ? `changes: ${changes.join(', ')}` : 'nothing to change: everything already matches the program (a no-op up).');

    step('Chat completion through the endpoint (OpenAI-compatible API)');
    await chat(ark, result.outputs);

    say('\nStack outputs:');
    for (const [name, output] of Object.entries(result.outputs)) say(`  ${name.padEnd(16)} ${String(output.value)}`);
    say(`\nDone in ${wallSeconds()} s. Run \`npm start\` again for a no-op update, \`npm run demo:destroy\` to remove it all.`);
  } finally {
    await ark.close();
  }
}

async function destroy(): Promise<void> {
  stepTotal = 3;
  say('pulumi-ark demo: removing what `npm start` deployed.');
  step('Pulumi CLI');
  detail(`using ${path.join(await ensurePulumiCli(), 'bin', 'pulumi')}`);
  step('ark-local, the local stand-in for Ark, TOS and the Chat API');
  const ark = await startEmulator();
  try {
    step(`pulumi destroy (stack "${STACK}")`);
    const stack = await openStack(ark);
    await stack.destroy({ onOutput: engineOutput() });
    const state = await ark.admin.state();
    const objects = state.tos.buckets.find((b) => b.name === BUCKET)?.objects ?? 0;
    detail(`left in ark-local: ${state.endpoints.length} endpoints, ${state.customModels.length} custom models, ${objects} objects in ${BUCKET}`);
    say(`\nDone in ${wallSeconds()} s. \`npm start\` deploys it again (the model unit stays, like purchased capacity would).`);
  } finally {
    await ark.close();
  }
}

/**
 * Wall time since node started: `npm start` runs the build check and this demo in one process
 * (scripts/build.js --run), so this is the whole command but npm's own start-up (about half a second).
 */
function wallSeconds(): string {
  return ((Date.now() - performance.timeOrigin) / 1000).toFixed(1);
}

async function ensureModel(): Promise<void> {
  // The marker is a dot-file, and dot-files are never uploaded: it does not change the model's digest.
  const marker = path.join(MODEL_DIR, '.complete');
  if (fs.existsSync(marker)) {
    detail(`reusing ${MODEL_DIR}`);
    return;
  }
  detail(`writing ${MODEL_DIR} (config, tokenizer, safetensors with the real tensor shapes; sparse zeros, no disk cost)`);
  fs.rmSync(MODEL_DIR, { recursive: true, force: true });
  await writeSyntheticModel(MODEL_DIR, { base: BASE_MODEL, fill: 'sparse' });
  fs.writeFileSync(marker, new Date().toISOString() + '\n');
}

async function startEmulator(): Promise<ArkLocal> {
  let ark: ArkLocal;
  try {
    ark = await startArkLocal({ port: PORT, dataDir: EMULATOR_DIR, transitions: { mode: 'after-seconds', seconds: TRANSITION_SECONDS } });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${PORT} is in use (is \`npm run emulator\` running?). Stop it, or pick another port with ARK_LOCAL_PORT=<port>.`);
    }
    throw err;
  }
  detail(`listening on ${ark.url}, state in ${path.relative(REPO_ROOT, EMULATOR_DIR)}/ (endpoints become Running ${TRANSITION_SECONDS}s after creation)`);
  return ark;
}

async function ensureModelUnit(ark: ArkLocal): Promise<string> {
  const existing = (await ark.admin.listModelUnits()).find((unit) => unit.Name === MODEL_UNIT_NAME);
  if (existing) {
    detail(`reusing ${existing.Id}`);
    return existing.Id;
  }
  const unit = await ark.admin.createModelUnit({ name: MODEL_UNIT_NAME });
  detail(`created ${unit.Id} through ark-local's admin API (on real Ark you buy one in the console)`);
  return unit.Id;
}

/** `modelUnitId` is only needed to deploy; destroy works from the state alone. */
async function openStack(ark: ArkLocal, modelUnitId?: string): Promise<Stack> {
  const stack = await openOfflineStack({
    projectName: PROJECT,
    stackName: STACK,
    program: async () => quickstart(),
    stateDir: PULUMI_DIR,
    passphrase: PASSPHRASE,
    // The demo's credentials come from stack config; ignore any real keys in the caller's environment.
    envVars: { VOLCENGINE_ACCESS_KEY: '', VOLCENGINE_SECRET_KEY: '', VOLC_ACCESSKEY: '', VOLC_SECRETKEY: '' },
  });
  await stack.setAllConfig({
    'ark:endpoint': { value: ark.url },
    'ark:tosEndpoint': { value: ark.tosEndpoint },
    'ark:chatBaseUrl': { value: ark.chatBaseUrl },
    'ark:region': { value: ark.region },
    'ark:accessKey': { value: DEFAULT_CREDENTIAL.accessKeyId, secret: true },
    'ark:secretKey': { value: DEFAULT_CREDENTIAL.secretAccessKey, secret: true },
    [`${PROJECT}:modelDir`]: { value: MODEL_DIR },
    [`${PROJECT}:baseModel`]: { value: BASE_MODEL },
    [`${PROJECT}:bucket`]: { value: BUCKET },
    [`${PROJECT}:createBucket`]: { value: 'true' },
    ...(modelUnitId && { [`${PROJECT}:modelUnitId`]: { value: modelUnitId } }),
  });
  detail(`stack config: ark:* point the provider at ark-local (keys stored as secrets), ${PROJECT}:* configure the example`);
  return stack;
}

async function chat(ark: ArkLocal, outputs: OutputMap): Promise<void> {
  const endpointId = String(outputs.endpointId?.value);
  const client = new OpenAI({ baseURL: String(outputs.chatBaseUrl?.value), apiKey: ark.apiKey });
  const question = 'In one sentence, what is a model unit?';
  detail(`model: ${endpointId}`);
  detail(`user: ${question}`);
  const reply = await client.chat.completions.create({ model: endpointId, messages: [{ role: 'user', content: question }], max_tokens: 48 });
  detail(`assistant: ${reply.choices[0]?.message.content ?? '(empty reply)'}`);
  detail(`(ark-local answers with deterministic synthetic text; no model runs. Tokens: ${reply.usage?.prompt_tokens ?? '?'} in, ${reply.usage?.completion_tokens ?? '?'} out)`);
}

/** Streams engine output as indented whole lines, minus the non-interactive "@ updating...." heartbeat. */
function engineOutput(): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() && !line.startsWith('@ ')) say(`      | ${line}`);
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
