import { PartialFailureError } from './controller';

/**
 * Runs the steps that follow a create call once it has returned an id (or an earlier run's resource has been
 * adopted): any error they throw leaves as a PartialFailureError carrying that id. Without it the engine would
 * drop the resource (a plain error from create records nothing), so it would live on outside Pulumi's state:
 * billed, invisible to `destroy`, and in the way of deleting what it uses. With it, the resource stays in the
 * state and the next `up` resumes it in `update`.
 *
 * `properties` are the outputs known without the failed steps (the inputs at least); the status they lack makes
 * the next diff ask for an update. A PartialFailureError the steps throw themselves (an Abnormal endpoint, a
 * failed import, a timed-out wait) already carries better properties and passes through unchanged.
 */
export async function keepCreatedOnFailure<T>(
  created: { id: string; what: string; properties: () => Record<string, unknown> },
  steps: () => Promise<T>,
): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    if (error instanceof PartialFailureError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    // `cause` keeps the original for logs; the engine shows `reasons`.
    throw new PartialFailureError(
      created.id,
      created.properties(),
      `${created.what} ${created.id} exists, but finishing its creation failed: ${message}. It stays in the state; ` +
        'run `pulumi up` again to finish it, or `pulumi destroy` to delete it.',
      { cause: error },
    );
  }
}
