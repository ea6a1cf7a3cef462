/**
 * Runs the `run:` steps of a GitHub Actions workflow file the way a runner does (bash -eo pipefail, the job's
 * and the step's `env:` and `working-directory`), so an e2e test exercises the committed workflow itself
 * rather than a copy of its commands. `${{ ... }}` expressions are looked up in a context the test supplies
 * (secrets, vars, event fields); an expression the context lacks fails the test instead of running blank.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// js-yaml comes with @pulumi/pulumi (its own dependency, so always installed); it ships no types.
const { load } = require('js-yaml') as { load(text: string): unknown };

export interface WorkflowStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  'working-directory'?: string;
}

export interface WorkflowJob {
  if?: string;
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  permissions?: Record<string, string>;
  defaults?: { run?: { shell?: string; 'working-directory'?: string } };
  env?: Record<string, string>;
  steps: WorkflowStep[];
}

export interface Workflow {
  on: Record<string, { paths?: string[]; branches?: string[] }>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, WorkflowJob>;
}

export function loadWorkflow(file: string): Workflow {
  return load(fs.readFileSync(file, 'utf8')) as Workflow;
}

/** `${{ secrets.X }}` -> context['secrets.X']; the only expressions the `env:` of run steps may use. */
export function resolveExpressions(text: string, context: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in context)) throw new Error(`the workflow uses \${{ ${expr} }}, which the test context does not define`);
    return context[expr]!;
  });
}

export interface StepResult {
  code: number | null;
  output: string;
  /** What the step wrote to $GITHUB_OUTPUT, as name -> value. */
  outputs: Record<string, string>;
  /** What it wrote to $GITHUB_STEP_SUMMARY. */
  summary: string;
}

export interface StepRunOptions {
  /** The checkout: `working-directory` is relative to it. */
  workspace: string;
  /** The runner's environment under the job's and step's `env:` (PATH, tools, test-only endpoints). */
  baseEnv: Record<string, string>;
  context: Record<string, string>;
  /** Holds the GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. */
  scratchDir: string;
}

/** Runs one `run:` step of `job` and returns its exit code, combined output and step outputs. */
export async function runStep(job: WorkflowJob, step: WorkflowStep, opts: StepRunOptions): Promise<StepResult> {
  if (!step.run) throw new Error(`step ${step.id ?? step.name} has no run: script`);
  const shell = job.defaults?.run?.shell ?? 'bash';
  if (shell !== 'bash') throw new Error(`only shell: bash steps can run here, found ${shell}`);
  const cwd = path.join(opts.workspace, step['working-directory'] ?? job.defaults?.run?.['working-directory'] ?? '.');
  const outputFile = path.join(opts.scratchDir, `${step.id ?? 'step'}.output`);
  const summaryFile = path.join(opts.scratchDir, `${step.id ?? 'step'}.summary`);
  for (const file of [outputFile, summaryFile]) fs.writeFileSync(file, '');
  const env: Record<string, string> = { ...opts.baseEnv, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile };
  for (const [name, value] of Object.entries({ ...job.env, ...step.env })) env[name] = resolveExpressions(String(value), opts.context);

  // `shell: bash` on a GitHub runner is `bash --noprofile --norc -eo pipefail {0}`.
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const outputs: Record<string, string> = {};
  for (const [, name, value] of fs.readFileSync(outputFile, 'utf8').matchAll(/^([\w-]+)=(.*)$/gm)) outputs[name!] = value!;
  return { code, output, outputs, summary: fs.readFileSync(summaryFile, 'utf8') };
}

export function stepById(job: WorkflowJob, id: string): WorkflowStep {
  const step = job.steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step with id ${id} (have: ${job.steps.map((s) => s.id ?? s.name ?? s.uses).join(', ')})`);
  return step;
}
