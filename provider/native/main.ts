/**
 * Entry point of `pulumi-resource-ark` (bin/): serves the native provider on a loopback port, prints the port
 * on stdout as the engine expects, and sends progress to the engine whose address is its first argument.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CONTROLLERS } from '../resources/registry';
import { engineLog } from './engine-log';
import { type EngineWatch, watchEngine } from '../engine-watch';
import { createNativeProvider, ResourceProviderService } from './server';

/** The package root: two levels up in source (provider/native), three when built (dist/provider/native). */
export function packageRoot(): string {
  const up = path.basename(path.resolve(__dirname, '..', '..')) === 'dist' ? ['..', '..', '..'] : ['..', '..'];
  return path.resolve(__dirname, ...up);
}

/** The engine's plugin arguments: optional flags (`--logtostderr`, `-v=N`, `--tracing <url>`), then the engine address. */
export function engineAddressFrom(args: readonly string[]): string | undefined {
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--tracing') i++;
    else if (!arg.startsWith('-')) positional.push(arg);
  }
  return positional[0];
}

/** Serves the provider on a loopback port and answers with the port; the process ends with the engine. */
export async function startServer(engineAddress: string | undefined, engine?: EngineWatch): Promise<number> {
  const root = packageRoot();
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const provider = createNativeProvider({
    registry: CONTROLLERS,
    version: manifest.version,
    schema: fs.readFileSync(path.join(root, 'schema.json'), 'utf8'),
    log: engineLog(engineAddress),
    engine,
  });
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 400 * 1024 * 1024 });
  server.addService(ResourceProviderService, provider.service);
  return new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
}

export async function main(args: readonly string[]): Promise<void> {
  // The engine's end (its pipe to our stdin closing, or this process re-parented) aborts every operation and
  // exits once they have settled: the next `pulumi up` resumes what they left.
  const port = await startServer(engineAddressFrom(args), watchEngine());
  // The engine reads the port from the first line of stdout.
  process.stdout.write(`${port}\n`);
}
