/**
 * `npm run soak` (not in CI; about 2 minutes a trial): the CI-cancel trial of ci-cancel.test.ts, 20 times, each
 * kill landing a little later in the upload. Prints per trial and in total:
 *   orphans    what destroy left in ark-local (open multipart uploads, objects, models, endpoints),
 *   duplicates models or endpoints beyond one after the re-run,
 *   survivors  provider processes still running 10 s after the kill.
 * The target is 0/0/0; the exit code is 1 otherwise. SOAK_TRIALS overrides the count.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { cancelTrial, type CancelTrialResult } from './ci-cancel';
import { repoTempDir } from './cli-harness';

const TRIALS = Number(process.env.SOAK_TRIALS ?? 20);

function counts(r: CancelTrialResult) {
  const d = r.afterDestroy;
  return {
    orphans: d.openUploads + d.objects + d.customModels + d.endpoints,
    duplicates: Math.max(0, r.afterRerun.customModels - 1) + Math.max(0, r.afterRerun.endpoints - 1),
    survivors: r.survivors,
  };
}

async function main(): Promise<void> {
  const modelRoot = repoTempDir('soak-model');
  const total = { orphans: 0, duplicates: 0, survivors: 0, failed: 0 };
  try {
    const modelDir = path.join(modelRoot, 'model');
    await writeSyntheticModel(modelDir, { base: 'Qwen2.5-0.5B', fill: 'sparse' });
    for (let trial = 1; trial <= TRIALS; trial++) {
      // Spread the kills over the upload: 0 to ~4 s after the multipart upload is seen.
      const killDelayMs = Math.round(((trial - 1) / Math.max(1, TRIALS - 1)) * 4_000);
      try {
        const result = await cancelTrial({ modelDir, name: `soak-${trial}`, killDelayMs });
        const c = counts(result);
        total.orphans += c.orphans;
        total.duplicates += c.duplicates;
        total.survivors += c.survivors;
        const left = result.afterDestroy;
        process.stdout.write(
          `trial ${trial}/${TRIALS} (kill +${killDelayMs} ms): orphans ${c.orphans} (uploads ${left.openUploads}, objects ${left.objects}, ` +
            `models ${left.customModels}, endpoints ${left.endpoints}), duplicates ${c.duplicates}, survivors ${c.survivors}, providers gone after ${result.exitMs} ms\n`,
        );
      } catch (error) {
        total.failed += 1;
        process.stdout.write(`trial ${trial}/${TRIALS} (kill +${killDelayMs} ms): failed: ${(error as Error).message}\n`);
      }
    }
  } finally {
    fs.rmSync(modelRoot, { recursive: true, force: true });
  }
  process.stdout.write(`\n${TRIALS} trials: orphans/duplicates/survivors ${total.orphans}/${total.duplicates}/${total.survivors} (target 0/0/0), ${total.failed} failed\n`);
  process.exitCode = total.orphans + total.duplicates + total.survivors + total.failed === 0 ? 0 : 1;
}

void main();
