import type { ServerResponse } from 'node:http';
import type { ServiceName } from './service';

/**
 * Response body bytes ark-local has sent, per service, since it started: what a client read from TOS (objects
 * and listings), the hub (downloads and listings) and the rest. Tests and the bench read it to say how much a
 * preview read ("only headers"), which request counts alone cannot tell.
 */
export class TrafficMeter {
  private readonly served: Record<ServiceName, number> = { ark: 0, tos: 0, chat: 0, admin: 0, hub: 0 };

  /** Counts every body byte `res` sends from now on towards `service` (piped streams write through `write`). */
  meter(service: ServiceName, res: ServerResponse): void {
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    const count = (chunk: unknown, encoding: unknown) => {
      if (typeof chunk === 'string') this.served[service] += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      else if (chunk instanceof Uint8Array) this.served[service] += chunk.byteLength;
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      count(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as ServerResponse['write'];
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') count(chunk, rest[0]);
      return end(chunk, ...rest);
    }) as ServerResponse['end'];
  }

  snapshot(): Record<ServiceName, number> {
    return { ...this.served };
  }
}
