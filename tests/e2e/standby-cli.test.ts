/**
 * New weights without downtime on Ark's one-endpoint model units, the way users run it: the real `pulumi` binary
 * in examples/quickstart with `standbyModelUnitId`, against ark-local's default units (one endpoint each). A chat
 * client loops through the `up`, asking the old endpoint and every other endpoint Ark lists as Running: the old
 * endpoint answers until the new one (the stack output, on the standby unit, probed) answers, and no round goes
 * unanswered. A second change alternates back to the first unit.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import OpenAI from 'openai';
import { inventory } from './ark-inventory';
import { startExampleStack, type ExampleStack } from './example-stack';
import { repeatWhile } from './poll';

jest.setTimeout(900_000);

/** Upper bound of the chat loop run during an up (it stops as soon as the up ends), and its pause between rounds. */
const MAX_CHAT_ROUNDS = 5_000;
const CHAT_PAUSE_MS = 20;

let f: ExampleStack;
let standby: string;
let openai: OpenAI;

beforeAll(async () => {
  f = await startExampleStack({
    example: 'examples/quickstart',
    name: 'standby',
    // Scheduling lasts a second: the new endpoint is really not serving while it starts.
    transitions: { mode: 'after-seconds', seconds: 1 },
    // A quota the chat loop cannot reach: a 429 would be a failure that says nothing about the replacement.
    config: { rpm: '1000000', tpm: '100000000', probePrompt: 'ready?' },
  });
  standby = (await f.ark.admin.createModelUnit({ name: 'e2e-standby-2' })).Id;
  await f.configure({ standbyModelUnitId: standby });
  openai = new OpenAI({ baseURL: f.ark.chatBaseUrl, apiKey: f.ark.apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await f?.close();
});

async function answers(endpointId: string): Promise<boolean> {
  try {
    await openai.chat.completions.create({ model: endpointId, messages: [{ role: 'user', content: 'ping' }], max_tokens: 4 });
    return true;
  } catch {
    return false;
  }
}

/** One round of the loop: which endpoints answered, the old one always asked, the others as Ark lists them Running. */
type Round = Map<string, boolean>;

/** Runs `up --yes` while chatting in rounds; returns the rounds and the up's output. */
async function upWhileChatting(oldId: string): Promise<{ rounds: Round[]; log: string }> {
  const rounds: Round[] = [];
  const round = async () => {
    const running = (await f.ark.admin.state()).endpoints.filter((e) => e.Status === 'Running').map((e) => e.Id);
    const answered: Round = new Map();
    for (const id of new Set([oldId, ...running])) answered.set(id, await answers(id));
    rounds.push(answered);
  };
  const up = await repeatWhile(f.pulumiOk(['up', '--yes']), round, { maxTicks: MAX_CHAT_ROUNDS, pauseMs: CHAT_PAUSE_MS });
  return { rounds, log: up.stdout + up.stderr };
}

async function replaceWithoutDowntime(temperature: number, from: string, to: string): Promise<void> {
  const { endpointId: oldId } = await f.outputs();
  f.newWeights(temperature);
  const preview = await f.pulumiOk(['preview']);
  expect(preview.stdout + preview.stderr).not.toMatch(/will be replaced by deleting it first/);

  const { rounds, log } = await upWhileChatting(oldId!);
  const outputs = await f.outputs();
  const newId = outputs.endpointId!;
  expect(newId).not.toBe(oldId);
  expect(outputs).toMatchObject({ endpointStatus: 'Running', servingModelUnitId: to });
  expect(log).toMatch(new RegExp(`endpoint ${newId}: Running on model unit ${to} at \\d\\d:\\d\\d:\\d\\d UTC, serving`));
  expect(log).toMatch(new RegExp(`endpoint ${newId}: readiness probe answered`));
  expect(log).toMatch(new RegExp(`endpoint ${oldId}: stopping before delete: down from \\d\\d:\\d\\d:\\d\\d UTC \\(model unit ${from}\\)`));

  // The old endpoint answered until the new one did, and every round had an answer.
  const firstNew = rounds.findIndex((r) => r.get(newId) === true);
  const lastOld = rounds.map((r) => r.get(oldId!) === true).lastIndexOf(true);
  expect(rounds.length).toBeGreaterThan(0);
  expect(firstNew).toBeGreaterThanOrEqual(0);
  expect(lastOld).toBeGreaterThanOrEqual(firstNew);
  expect(rounds.slice(0, firstNew).every((r) => r.get(oldId!) === true)).toBe(true);
  expect(rounds.filter((r) => ![...r.values()].includes(true))).toEqual([]);
  expect((await inventory(f.ark)).endpoints).toEqual([`${newId} Running`]);
}

describe('new weights with a standby model unit', () => {
  it('up creates the endpoint on the first unit', async () => {
    await f.pulumiOk(['up', '--yes']);
    expect(await f.outputs()).toMatchObject({ endpointStatus: 'Running', servingModelUnitId: f.modelUnitId });
  });

  it('the next weights go to the standby unit, the old endpoint answering until the new one does', async () => {
    await replaceWithoutDowntime(0.3, f.modelUnitId, standby);
  });

  it('the weights after that alternate back to the first unit', async () => {
    await replaceWithoutDowntime(0.4, standby, f.modelUnitId);
  });

  it('destroy leaves ark-local empty', async () => {
    await f.pulumiOk(['destroy', '--yes']);
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
  });
});
