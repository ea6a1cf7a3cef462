/**
 * ark-local in a process of its own for the bench: the client under test does not share its event loop or
 * its CPU accounting, peak RSS is the client's alone, and the server's CPU time per byte ingested can be read.
 * Arguments: the data directory, then optionally the root of another build (`ark-local-before.ts`) to run
 * instead of this checkout's. Messages: parent -> `{ op: 'cpu' }`; child -> `{ op: 'ready', settings }`,
 * `{ op: 'cpu', micros }`.
 */
import * as path from 'node:path';
import * as current from '../../emulator';

type Emulator = Pick<typeof current, 'startArkLocal'>;

async function main(): Promise<void> {
  const [dataDir, otherBuild] = process.argv.slice(2);
  const emulator: Emulator = otherBuild ? require(path.join(otherBuild, 'dist', 'emulator')) : current;
  const arkLocal = await emulator.startArkLocal({ dataDir, quiet: true });
  process.on('message', (m: { op: string }) => {
    if (m.op === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ op: 'cpu', micros: u.user + u.system });
    }
  });
  process.on('disconnect', () => void arkLocal.close().then(() => process.exit(0)));
  process.send!({ op: 'ready', settings: arkLocal.providerSettings() });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
