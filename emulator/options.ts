/** Access keys ark-local accepts; requests signed with anything else are rejected with the real codes. */
export interface EmulatorCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The key pair ark-local accepts when none is configured; the demo and tests use it too. */
export const DEFAULT_CREDENTIAL: EmulatorCredential = {
  accessKeyId: 'AKLTarklocal',
  secretAccessKey: 'YXJrLWxvY2FsLXNlY3JldC1rZXk=',
};

export type Credentials = ReadonlyMap<string, string>;

export function credentialMap(list: readonly EmulatorCredential[]): Credentials {
  return new Map(list.map((c) => [c.accessKeyId, c.secretAccessKey]));
}
