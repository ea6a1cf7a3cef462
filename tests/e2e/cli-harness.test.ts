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

jest.setTimeout(300_000);

let run: ExampleRun;
beforeAll(async () => {
  run = await openExample({ example: 'examples/quickstart', name: 'harness' });
});
afterAll(async () => {
  await run?.close();
});

interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  cmdline: string;
}

/** Every process, from /proc (Linux; the CI runs there). */
function processTable(): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      rows.push({ pid: Number(entry), ppid: Number(fields[1]), pgid: Number(fields[2]), cmdline });
    } catch {
      // the process ended while we looked
    }
  }
  return rows;
}

function descendants(root: number, table = processTable()): ProcessRow[] {
  const children = table.filter((p) => p.ppid === root);
  return children.flatMap((child) => [child, ...descendants(child.pid, table)]);
}

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`);

describe('cli-harness', () => {
  it('runs pulumi in the example directory against its own file:// backend', async () => {
    await run.pulumiOk(['stack', 'init', 'e2e-harness']);
    const whoami = await run.pulumiOk(['whoami', '--verbose']);
    expect(whoami.stdout).toContain(`Backend URL: file://${path.join(run.stateDir, 'backend')}`);
    const stacks = JSON.parse((await run.pulumiOk(['stack', 'ls', '--json'])).stdout) as { name: string }[];
    expect(stacks.map((s) => s.name)).toEqual(['e2e-harness']);
    expect(run.dir).toBe(path.join(REPO_ROOT, 'examples', 'quickstart'));
  });

  it('spawns pulumi leading its own process group, apart from its plugins; SIGINT to the group ends the CLI', async () => {
    const preview = run.spawnPulumi(['preview', '--stack', 'e2e-harness']);
    const pid = preview.child.pid!;
    // Wait until the engine has started the Node language host (the program fails later, on missing config).
    const deadline = Date.now() + 120_000;
    let started: ProcessRow[] = [];
    while (!started.some((p) => p.cmdline.includes('pulumi-language-nodejs'))) {
      if (Date.now() > deadline || preview.child.exitCode !== null) throw new Error(`pulumi exited or started no language host: ${started.map((p) => p.cmdline).join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      started = descendants(pid);
    }
    expect(processTable().find((p) => p.pid === pid)?.pgid).toBe(pid);
    expect(started.find((p) => p.cmdline.includes('pulumi-language-nodejs'))?.pgid).not.toBe(pid);

    preview.signalGroup('SIGINT');
    const result = await preview.result;
    expect(result.code ?? result.signal).not.toBe(0);
    for (const plugin of started.filter((p) => p.pgid !== pid && alive(p.pid))) {
      try {
        process.kill(-plugin.pgid, 'SIGKILL');
      } catch {
        // it ended between the check and the kill
      }
    }
  });
});
