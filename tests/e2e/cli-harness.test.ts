/**
 * The harness itself: the CLI runs in the example directory against the test's own backend (never the
 * developer's ~/.pulumi), and a spawned CLI leads its own process group, which a test can signal like a CI
 * runner cancelling a job. The engine starts its plugins (language host, providers) in process groups of
 * their own, so the signal reaches the CLI only: that is the premise of ci-cancel.test.ts, which checks that
 * our provider then ends by itself.
 *
 * What happens to Pulumi's own language host is Pulumi's behaviour, not ours, and it depends on timing: a CLI
 * interrupted before it installs its signal handler dies at once, and the host it already started lives on
 * until its own engine health check (every 5 minutes) notices. So this test does not assert it; it ends the
 * plugins it caused itself, so no run leaves processes on the machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { openExample, type ExampleRun } from './cli-harness';
import { until } from './poll';
import { descendants, killQuietly, processTable, type ProcessRow } from './processes';

jest.setTimeout(300_000);

let run: ExampleRun;
beforeAll(async () => {
  run = await openExample({ example: 'examples/quickstart', name: 'harness' });
});
afterAll(async () => {
  await run?.close();
});

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`);

describe('cli-harness', () => {
  it('runs pulumi in the example directory against its own file:// backend', async () => {
    await run.pulumiOk(['stack', 'init', 'e2e-harness']);
    const whoami = await run.pulumiOk(['whoami', '--verbose']);
    expect(whoami.stdout).toContain(`Backend URL: file://${path.join(run.stateDir, 'backend')}`);
    const stacks = JSON.parse((await run.pulumiOk(['stack', 'ls', '--json'])).stdout) as { name: string }[];
    expect(stacks.map((s) => s.name)).toEqual(['e2e-harness']);
    expect(run.dir).toBe(path.join(REPO_ROOT, 'examples', 'quickstart'));
    // A fresh backend takes the project layout (CLI 3.257+ refuses the legacy one), and the CLI's logs (3.249+)
    // go to this run's PULUMI_HOME, where the secret-leak checks search them.
    expect(fs.readFileSync(path.join(run.stateDir, 'backend', '.pulumi', 'meta.yaml'), 'utf8')).toMatch(/^version: 1$/m);
    expect(await run.readLogs()).toContain('"Command":"pulumi whoami"');
  });

  it('spawns pulumi leading its own process group, apart from its plugins; SIGINT to the group ends the CLI', async () => {
    const preview = run.spawnPulumi(['preview', '--stack', 'e2e-harness']);
    const pid = preview.child.pid!;
    // Wait until the engine has started the Node language host (the program fails later, on missing config).
    let started: ProcessRow[] = [];
    await until('the Node language host', () => {
      if (preview.child.exitCode !== null) throw new Error(`pulumi exited before starting a language host: ${started.map((p) => p.cmdline).join(' | ')}`);
      started = descendants(pid);
      return started.some((p) => p.cmdline.includes('pulumi-language-nodejs'));
    }, { timeoutMs: 120_000, intervalMs: 50 });
    expect(processTable().find((p) => p.pid === pid)?.pgid).toBe(pid);
    expect(started.find((p) => p.cmdline.includes('pulumi-language-nodejs'))?.pgid).not.toBe(pid);

    preview.signalGroup('SIGINT');
    const result = await preview.result;
    expect(result.code ?? result.signal).not.toBe(0);
    for (const plugin of started.filter((p) => p.pgid !== pid && alive(p.pid))) killQuietly(-plugin.pgid);
  });
});
