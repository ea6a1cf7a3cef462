/**
 * Property values between the engine's protobuf Structs and the plain JSON the controllers take.
 *
 * The plugin tells the engine it accepts secrets, so secret values arrive wrapped in Pulumi's signature object
 * (`{ "4dabf…": "1b47…", value }`). Controllers see plain values; the top-level properties that held a secret
 * are remembered and their outputs wrapped again, so a secret input never comes back as a plaintext output.
 * Unknown values during preview arrive as the UNKNOWN sentinel string, which the controllers understand.
 */
import * as structproto from 'google-protobuf/google/protobuf/struct_pb';
import { toWire, type Props } from '../adapter-core';

const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

export interface Unwrapped {
  props: Props;
  /** Top-level keys whose value was, or contained, a secret. */
  secretKeys: Set<string>;
}

export function fromStruct(struct: structproto.Struct | undefined): Unwrapped {
  const raw = (struct?.toJavaScript() ?? {}) as Props;
  const secretKeys = new Set<string>();
  const props: Props = {};
  for (const [key, value] of Object.entries(raw)) {
    const found = { secret: false };
    props[key] = unwrap(value, found);
    if (found.secret) secretKeys.add(key);
  }
  return { props, secretKeys };
}

/** Plain props to a Struct, wrapping the values of `secretKeys` as secrets. */
export function toStruct(props: object, secretKeys: ReadonlySet<string> = new Set()): structproto.Struct {
  const wire = toWire(props);
  for (const key of secretKeys) {
    if (key in wire) wire[key] = { [SIG_KEY]: SECRET_SIG, value: wire[key] };
  }
  return structproto.Struct.fromJavaScript(wire as Record<string, structproto.JavaScriptValue>);
}

function unwrap(value: unknown, found: { secret: boolean }): unknown {
  if (Array.isArray(value)) return value.map((v) => unwrap(v, found));
  if (value !== null && typeof value === 'object') {
    const obj = value as Props;
    if (obj[SIG_KEY] === SECRET_SIG) {
      found.secret = true;
      return unwrap(obj.value, found);
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrap(v, found)]));
  }
  return value;
}
