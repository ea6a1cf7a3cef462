import type { AddressInfo } from 'node:net';
import type { UploadBaseRef } from '../provider/api/ark';
import { CHAT_BASE_PATH } from '../provider/api/chat';
import { DEFAULT_REGION } from '../provider/api/envelope';
import { baseModelByArkRef, BASE_MODELS } from '../provider/model/catalogue';
import type { ProviderSettings } from '../provider/resources/controller';
import { ArkLocalAdmin } from './admin-client';
import { createAdminService } from './admin/service';
import type { ArkCompat } from './ark/compat';
import { ArkControlPlane } from './ark/control-plane';
import { tosModelImporter } from './ark/model-import';
import { createArkService } from './ark/service';
import { ResponseVariance } from './ark/variance';
import { createChatService, DEFAULT_CHAT_API_KEY } from './chat/service';
import { FaultInjector } from './faults';
import { createHubService, DEFAULT_CDN_TTL_SECONDS, DEFAULT_TREE_PAGE_SIZE, HUB_PREFIX } from './hub/service';
import { HubRepoStore } from './hub/store';
import { credentialMap, DEFAULT_CREDENTIAL, type EmulatorCredential } from './options';
import { createArkLocalServer } from './server';
import { randomBytes } from 'node:crypto';
import { filePersistence, memoryPersistence } from './state/persistence';
import { createObjectStore, createTosService } from './tos';
import { DEFAULT_TRANSITION_POLICY, systemClock, type Clock, type TransitionPolicy } from './state/transitions';
import { lockDataDir } from './state/data-dir-lock';
import { TrafficMeter } from './traffic';

export type { TransitionPolicy } from './state/transitions';
export type { ArkCompat } from './ark/compat';
export { ArkLocalAdmin } from './admin-client';
export { DEFAULT_CREDENTIAL, type EmulatorCredential } from './options';
export { DEFAULT_CHAT_API_KEY } from './chat/service';
export { seedSparseModel } from './seed-model';

/** The hub token ark-local accepts unless told others (`hf_`-prefixed, as hub clients insist). */
export const DEFAULT_HUB_TOKEN = 'hf_arklocal0000000000000000000000000000';

export interface ArkLocalOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Keep state in this directory (control-plane.json + TOS objects); absent = in memory. */
  dataDir?: string;
  /** Access keys accepted by the Ark and TOS signatures; default [DEFAULT_CREDENTIAL]. The first is `credential`. */
  credentials?: EmulatorCredential[];
  transitions?: TransitionPolicy;
  region?: string;
  /** No start-up banner (startArkLocal never prints; the CLI does). */
  quiet?: boolean;
  /** Static Chat API keys valid for every endpoint; default [DEFAULT_CHAT_API_KEY]. */
  apiKeys?: string[];
  /** Clock for signatures, timestamps and after-seconds transitions (tests move it instead of waiting). */
  clock?: Clock;
  /** Answer like a less predictable real service (emulator/ark/variance.ts); switchable later by the admin API. */
  variance?: boolean;
  /** How long a request's headers may take to arrive before the connection is cut (default 20 s); bodies are never cut. */
  headersTimeoutMs?: number;
  /** Permissive readings of the thin public record (emulator/ark/compat.ts); default restrictive. */
  compat?: Partial<ArkCompat>;
  /** Tokens the hub (`/_hub`) accepts as `Authorization: Bearer`; default [DEFAULT_HUB_TOKEN]. */
  hubTokens?: string[];
  /** Tree entries per listing page (default 1000); tests set a small one to exercise the `Link` paging. */
  hubTreePageSize?: number;
  /** How long the hub's signed CDN links stay valid (default 3600 s, on the server's clock). */
  hubCdnTtlSeconds?: number;
}

export interface ArkLocal {
  url: string;
  port: number;
  tosEndpoint: string;
  chatBaseUrl: string;
  /** The hub URL clients take as their endpoint (`HF_ENDPOINT`, `hubUrl`): `<url>/_hub`. */
  hubUrl: string;
  /** The first hub token. */
  hubToken: string;
  credential: EmulatorCredential;
  region: string;
  /** The static Chat API key (first of `apiKeys`). */
  apiKey: string;
  providerSettings(): ProviderSettings;
  admin: ArkLocalAdmin;
  close(): Promise<void>;
}

export async function startArkLocal(opts: ArkLocalOptions = {}): Promise<ArkLocal> {
  const credentials = opts.credentials?.length ? opts.credentials : [DEFAULT_CREDENTIAL];
  const credential = credentials[0]!;
  const region = opts.region ?? DEFAULT_REGION;
  const clock = opts.clock ?? systemClock;
  const apiKeys = opts.apiKeys?.length ? opts.apiKeys : [DEFAULT_CHAT_API_KEY];
  const faults = new FaultInjector();
  const credentialsByKey = credentialMap(credentials);
  // One data directory: control-plane.json beside the TOS store's own files.
  const store = createObjectStore({ dataDir: opts.dataDir });

  const controlPlane = new ArkControlPlane({
    persistence: opts.dataDir ? filePersistence(opts.dataDir) : memoryPersistence(),
    clock,
    policy: opts.transitions ?? DEFAULT_TRANSITION_POLICY,
    compat: opts.compat,
    bucketExists: (bucket) => store.bucketExists(bucket),
    importModel: tosModelImporter(store),
    checkFoundationModel,
  });

  const variance = new ResponseVariance(opts.variance === true);
  const hubTokens = opts.hubTokens?.length ? opts.hubTokens : [DEFAULT_HUB_TOKEN];
  const hub = new HubRepoStore(clock);
  const traffic = new TrafficMeter();
  const server = createArkLocalServer({
    ark: createArkService({ controlPlane, credentials: credentialsByKey, faults, region, clock, variance }),
    chat: createChatService({
      staticKeys: apiKeys,
      findApiKey: (key) => controlPlane.apiKeys.find(key),
      findEndpoint: (id) => controlPlane.endpoints.peek(id),
      serve: (endpoint) => {
        const model = controlPlane.rollings.servedModel(endpoint);
        const ref = model ? { CustomModelId: model } : endpoint.ModelReference;
        return { model: servedModelName(controlPlane, ref), description: describeServed(controlPlane, ref) };
      },
      faults,
      clock,
    }),
    admin: createAdminService({ controlPlane, faults, store, variance, hub, traffic }),
    hub: createHubService({
      store: hub,
      tokens: () => hubTokens,
      faults,
      clock,
      treePageSize: opts.hubTreePageSize ?? DEFAULT_TREE_PAGE_SIZE,
      cdnTtlSeconds: opts.hubCdnTtlSeconds ?? DEFAULT_CDN_TTL_SECONDS,
      cdnSigningKey: randomBytes(32),
    }),
    tos: createTosService({ store, credentials: credentialsByKey, faults, clock }),
  }, { headersTimeoutMs: opts.headersTimeoutMs, traffic });

  const host = opts.host ?? '127.0.0.1';
  // Taken before the first request can write anything (nothing above writes to the data directory).
  const lock = opts.dataDir ? await lockDataDir(opts.dataDir) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  const tosEndpoint = `${host}:${port}`;
  const chatBaseUrl = url + CHAT_BASE_PATH;
  const hubUrl = url + HUB_PREFIX;

  return {
    url,
    port,
    tosEndpoint,
    chatBaseUrl,
    hubUrl,
    hubToken: hubTokens[0]!,
    credential,
    region,
    apiKey: apiKeys[0]!,
    providerSettings: () => ({
      region,
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.secretAccessKey,
      arkEndpoint: url,
      tosEndpoint,
      tosSecure: false,
      chatBaseUrl,
      hubEndpoint: hubUrl,
      hubToken: hubTokens[0]!,
    }),
    admin: new ArkLocalAdmin(url),
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      await lock?.release();
    },
  };
}

/**
 * The bases ark-local's UploadModel accepts: the catalogue's `{Name, ModelVersion}` references, and any `fm-…`
 * model-card id (the request schema checks its form). ark-local has no model cards, so it cannot tell a card
 * shared with the account from another; an `fm-` import is checked against whatever base its files are.
 */
function checkFoundationModel(ref: UploadBaseRef): string | undefined {
  if ('Id' in ref || baseModelByArkRef(ref)) return undefined;
  const supported = BASE_MODELS.map((b) => `${b.ark.Name}/${b.ark.ModelVersion} (${b.id})`).join(', ');
  return `The FoundationModel ${ref.Name}/${ref.ModelVersion} is not supported for upload; supported: ${supported}, or a model card's fm- id.`;
}

/**
 * The `model` of a chat reply [I]: a foundation model's id `<name>-<version>` (the form the data plane takes,
 * reference §6), or an uploaded custom model's Name (what the console lists it as).
 */
function servedModelName(cp: ArkControlPlane, ref: { CustomModelId?: string; FoundationModel?: { Name: string; ModelVersion: string } }): string {
  if (ref.CustomModelId) return cp.customModels.peek(ref.CustomModelId)?.Name ?? ref.CustomModelId;
  const fm = ref.FoundationModel!;
  return `${fm.Name}-${fm.ModelVersion}`;
}

/** `cm-… (Qwen2.5-0.5B)` or `qwen2-5-0-5b-20240919` for the synthetic chat reply. */
function describeServed(cp: ArkControlPlane, ref: { CustomModelId?: string; FoundationModel?: { Name: string; ModelVersion: string } }): string {
  if (ref.CustomModelId) {
    const base = cp.customModels.peek(ref.CustomModelId)?.FoundationModel;
    const entry = base && baseModelByArkRef(base);
    return `${ref.CustomModelId} (${entry?.id ?? (base ? `${base.Name}-${base.ModelVersion}` : 'unknown base')})`;
  }
  const fm = ref.FoundationModel!;
  return `${fm.Name}-${fm.ModelVersion}`;
}
