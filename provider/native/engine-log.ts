/**
 * Controller progress, sent to the engine's Log service against the URN of the resource being worked on, so
 * the CLI shows it on that resource's row instead of as stderr lines attributed to the stack. Progress lines
 * (info) are ephemeral: the CLI shows the latest one while the step runs and keeps warnings.
 */
import * as grpc from '@grpc/grpc-js';
import { stderrProgressLog } from '../adapter-core';
import type { ProgressLog } from '../resources/controller';

// The generated stubs are CommonJS without ES module typings for their constructors' namespaces.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const enginerpc = require('@pulumi/pulumi/proto/engine_grpc_pb') as typeof import('@pulumi/pulumi/proto/engine_grpc_pb');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineproto = require('@pulumi/pulumi/proto/engine_pb') as typeof import('@pulumi/pulumi/proto/engine_pb');

export interface EngineLog {
  forResource(urn: string, prefix: string): ProgressLog;
}

/** Without an engine address (a test driving the server directly), lines go to stderr. */
export function engineLog(engineAddress: string | undefined): EngineLog {
  if (!engineAddress) {
    return { forResource: (_urn, prefix) => stderrProgressLog(prefix) };
  }
  const client = new enginerpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
  // One at a time, so the engine shows them in the order they were written (the last ephemeral line stays).
  let queue: Promise<void> = Promise.resolve();
  const send = (urn: string, severity: number, message: string, ephemeral: boolean) => {
    const request = new engineproto.LogRequest();
    request.setSeverity(severity as never);
    request.setMessage(message);
    request.setUrn(urn);
    request.setEphemeral(ephemeral);
    // A lost progress line must never fail the operation it describes: errors are ignored.
    queue = queue.then(() => new Promise<void>((resolve) => void client.log(request, () => resolve())));
  };
  return {
    forResource: (urn) => ({
      info: (message) => send(urn, engineproto.LogSeverity.INFO, message, true),
      warn: (message) => send(urn, engineproto.LogSeverity.WARNING, message, false),
    }),
  };
}
