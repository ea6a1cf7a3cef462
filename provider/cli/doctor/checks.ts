import { CUSTOM_MODEL_STATUSES, ENDPOINT_STATUSES, type CustomModelItem as CustomModel, type EndpointListItem } from '../../api/ark';
import { READ_NEEDS } from '../../api/read-needs';
import { tosEndpointUrl } from '../../api/tos';
import { ArkClient } from '../../clients/ark/client';
import { ArkError, hasCode, isArkError } from '../../clients/ark/errors';
import { nodeHttpTransport } from '../../clients/ark/transport';
import { regionMismatch, BUCKET_REGION_HEADER } from '../../clients/tos/bucket-region';
import { TosStorage } from '../../clients/tos/client';
import { TosCallError } from '../../clients/tos/errors';
import type { RetryPolicy } from '../../clients/retry';
import { BASE_MODELS } from '../../model/catalogue';
import type { ProviderSettings } from '../../resources/controller';
import type { WireLog } from './wire';

/**
 * The doctor's checks. Read-only by construction: the only actions called are ListEndpoints, ListCustomModels
 * and (with --model-unit) CreateEndpoint with DryRun, which the API documents as a pre-check that creates
 * nothing; on TOS only ListBuckets and HeadBucket.
 */

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** Facts worth sending us: unknown statuses and fields, request ids. */
  notes?: string[];
}

export interface CheckOptions {
  settings: ProviderSettings;
  bucket?: string;
  modelUnit?: string;
  wire?: WireLog;
}

/** A doctor answers quickly: two attempts, short backoff (the provider's own policy keeps trying far longer). */
export const DOCTOR_RETRY_POLICY: RetryPolicy = { maxAttempts: 2, maxThrottleAttempts: 3, baseDelayMs: 200, maxDelayMs: 1_000 };
const ATTEMPT_TIMEOUT_MS = 15_000;

export async function runChecks(opts: CheckOptions): Promise<CheckResult[]> {
  const transport = opts.wire ? opts.wire.recordArk(nodeHttpTransport) : nodeHttpTransport;
  const client = new ArkClient({ settings: opts.settings, transport, retry: DOCTOR_RETRY_POLICY, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS });
  const results: CheckResult[] = [];

  // One ListEndpoints listing serves two checks: its first page answering is the signed call the credentials
  // check needs, and the whole listing is what the list check parses.
  const endpointListing = await listing(client, 'ListEndpoints');
  const signed = signedCall(endpointListing, opts.settings);
  results.push(signed);
  const arkUsable = signed.status === 'pass';
  const needsArk = (id: string, title: string): CheckResult => ({ id, title, status: 'skip', detail: 'skipped: the signed call above failed' });

  let endpoints: EndpointListItem[] = [];
  if (arkUsable) {
    const known = { ...READ_NEEDS.Endpoint, ...READ_NEEDS.EndpointListItem };
    const listed = listCheck(endpointListing, 'list-endpoints', 'ListEndpoints answers and parses', 'endpoint', ENDPOINT_STATUSES, known);
    endpoints = listed.items as EndpointListItem[];
    if (endpoints.length) (listed.result.notes ??= []).push(paymentTypesNote(endpoints));
    results.push(listed.result);
  } else results.push(needsArk('list-endpoints', 'ListEndpoints answers and parses'));

  let models: CustomModel[] = [];
  if (arkUsable) {
    const listed = listCheck(await listing(client, 'ListCustomModels'), 'list-custom-models', 'ListCustomModels answers and parses', 'custom model', CUSTOM_MODEL_STATUSES, READ_NEEDS.CustomModelItem);
    models = listed.items as CustomModel[];
    results.push(listed.result);
  } else results.push(needsArk('list-custom-models', 'ListCustomModels answers and parses'));

  const storage = new TosStorage(opts.settings, { retry: DOCTOR_RETRY_POLICY });
  results.push(await tosCheck(storage, opts));
  if (opts.bucket) results.push(await bucketCheck(storage, opts.bucket, opts));

  if (opts.modelUnit) {
    results.push(arkUsable ? await modelUnitCheck(client, opts.modelUnit, endpoints, models) : needsArk('model-unit', `model unit ${opts.modelUnit} usable`));
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------- Ark

/** A whole list action read once: its items, or the error and how many pages had answered before it. */
type Listing = { items: (EndpointListItem | CustomModel)[]; pagesAnswered: number } | { error: unknown; pagesAnswered: number };

async function listing(client: ArkClient, action: 'ListEndpoints' | 'ListCustomModels'): Promise<Listing> {
  let pagesAnswered = 0;
  try {
    const items = (await client.listAll(action, {}, () => void pagesAnswered++)) as (EndpointListItem | CustomModel)[];
    return { items, pagesAnswered };
  } catch (error) {
    return { error, pagesAnswered };
  }
}

/** Passes when the listing's first page answered: Ark accepted a signed request. */
function signedCall(endpoints: Listing, settings: ProviderSettings): CheckResult {
  const title = 'Ark accepts the credentials and region (a signed ListEndpoints)';
  if ('error' in endpoints && endpoints.pagesAnswered === 0) {
    return { id: 'credentials', title, status: 'fail', detail: explainArkFailure(endpoints.error, settings) };
  }
  return {
    id: 'credentials',
    title,
    status: 'pass',
    detail: `${settings.arkEndpoint} answered a request signed for region ${settings.region} with access key ${maskKey(settings.accessKeyId)}`,
  };
}

/** The likely cause of a failed signed call, in terms of the setting to change. */
export function explainArkFailure(error: unknown, settings: ProviderSettings): string {
  if (!isArkError(error)) return (error as Error).message;
  const sources = settings.sources;
  const creds = sources?.credentials ?? 'the configured credentials';
  const region = `region ${settings.region} (${sources?.region ?? 'ark:region'})`;
  const hint: Record<string, string> = {
    SignatureDoesNotMatch: `the secret key does not belong to access key ${maskKey(settings.accessKeyId)}; check ${creds}`,
    InvalidAccessKey: `Ark does not know access key ${maskKey(settings.accessKeyId)}; check ${creds}`,
    InvalidCredential: `the signature's scope was refused, most likely the ${region} is not the region ${settings.arkEndpoint} serves; set ark:region or VOLCENGINE_REGION to it`,
    InvalidAuthorization: 'the Authorization header was refused as malformed',
    InvalidTimestamp: "this machine's clock is more than 15 minutes off",
    AccessDenied: `the credentials (${creds}) lack permission for this action (IAM)`,
  };
  const why = hint[error.code];
  return why ? `${why}. Ark said: ${error.message}` : error.message;
}

function listCheck(
  listed: Listing,
  id: string,
  title: string,
  noun: string,
  knownStatuses: readonly string[],
  knownFields: Readonly<Record<string, string>>,
): { result: CheckResult; items: (EndpointListItem | CustomModel)[] } {
  if ('error' in listed) return { result: { id, title, status: 'fail', detail: (listed.error as Error).message }, items: [] };
  const { items } = listed;
  const notes: string[] = [];
  const statuses = tally(items.map((i) => i.Status));
  const unknownStatuses = Object.keys(statuses).filter((s) => !knownStatuses.includes(s));
  if (unknownStatuses.length) notes.push(`statuses pulumi-ark does not know (waited through like transitional ones): ${unknownStatuses.join(', ')}`);
  const unknownFields = [...new Set(items.flatMap((i) => Object.keys(i)))].filter((f) => !(f in knownFields)).sort();
  if (unknownFields.length) notes.push(`fields pulumi-ark does not know (kept, not used): ${unknownFields.join(', ')}`);
  const counts = Object.entries(statuses).map(([s, n]) => `${n} ${s}`).join(', ');
  return {
    result: { id, title, status: 'pass', detail: `${items.length} ${noun}${items.length === 1 ? '' : 's'}${counts ? ` (${counts})` : ''}`, ...(notes.length ? { notes } : {}) },
    items,
  };
}

/**
 * How the listed endpoints are billed, as ListEndpoints items report it (`PaymentType`, F11). Its values are not
 * documented, so the doctor only reports them: beside `ModelUnitId` they tell a unit-backed endpoint apart.
 */
export function paymentTypesNote(endpoints: readonly EndpointListItem[]): string {
  const reported = endpoints.filter((e) => e.PaymentType !== undefined);
  if (!reported.length) return 'PaymentType: not reported on any endpoint';
  const byType = Object.entries(tally(reported.map((e) => `${e.PaymentType}${e.ModelUnitId ? ' (on a model unit)' : ''}`)));
  const missing = endpoints.length - reported.length;
  return `PaymentType: ${byType.map(([t, n]) => `${n} ${t}`).join(', ')}${missing ? `, ${missing} not reported` : ''}`;
}

/**
 * Whether an endpoint could be created on the unit, asked with CreateEndpoint DryRun (documented: a pre-check
 * only). The model is a Ready custom model when one exists, else the first catalogue base (an inference: Ark
 * may refuse that base on this account, and the doctor then says so).
 */
async function modelUnitCheck(client: ArkClient, unit: string, endpoints: EndpointListItem[], models: CustomModel[]): Promise<CheckResult> {
  const title = `model unit ${unit} usable (CreateEndpoint with DryRun; nothing is created)`;
  const onUnit = endpoints.filter((e) => e.ModelUnitId === unit);
  const notes = onUnit.length ? [`endpoints already on it: ${onUnit.map((e) => `${e.Id} (${e.Status}, PaymentType ${e.PaymentType ?? 'not reported'})`).join(', ')}`] : [];
  const ready = models.find((m) => m.Status === 'Ready');
  const ModelReference = ready ? { CustomModelId: ready.Id } : { FoundationModel: BASE_MODELS[0]!.ark };
  const what = ready ? `custom model ${ready.Id}` : `foundation model ${BASE_MODELS[0]!.ark.Name}/${BASE_MODELS[0]!.ark.ModelVersion}`;
  try {
    const result = await client.call('CreateEndpoint', { Name: 'pulumi-ark-doctor-dry-run', ModelReference, ModelUnitId: unit, DryRun: true });
    // A success answer to a DryRun would mean the service ignored DryRun: say so loudly, with the id.
    return { id: 'model-unit', title, status: 'fail', detail: `Ark answered CreateEndpoint DryRun with a new endpoint ${result.Id}: it ignored DryRun. Delete that endpoint.` };
  } catch (error) {
    if (hasCode(error, 'DryRunOperation')) {
      return { id: 'model-unit', title, status: 'pass', detail: `Ark would accept an endpoint for ${what} on ${unit}`, ...(notes.length ? { notes } : {}) };
    }
    const reason = error instanceof ArkError ? `${error.code}: ${error.serviceMessage}` : (error as Error).message;
    return { id: 'model-unit', title, status: 'fail', detail: `Ark refused an endpoint for ${what} on ${unit}: ${reason}`, ...(notes.length ? { notes } : {}) };
  }
}

// ---------------------------------------------------------------------------------------------------- TOS

async function tosCheck(storage: TosStorage, opts: CheckOptions): Promise<CheckResult> {
  const title = 'TOS accepts the credentials (a signed ListBuckets)';
  try {
    const { data, headers, statusCode } = await storage.call('ListBuckets', () => storage.sdk.listBuckets());
    opts.wire?.recordTos('ListBuckets', undefined, { status: statusCode, headers });
    return { id: 'tos', title, status: 'pass', detail: `${tosEndpointUrl(opts.settings)} lists ${data.Buckets.length} bucket(s)` };
  } catch (error) {
    opts.wire?.recordTos('ListBuckets', undefined, tosOutcome(error));
    return { id: 'tos', title, status: 'fail', detail: (error as Error).message };
  }
}

async function bucketCheck(storage: TosStorage, bucket: string, opts: CheckOptions): Promise<CheckResult> {
  const title = `bucket ${bucket} reachable and in Ark's region`;
  try {
    const { headers, statusCode } = await storage.call(`HEAD bucket ${bucket}`, () => storage.sdk.headBucket(bucket));
    opts.wire?.recordTos('HeadBucket', bucket, { status: statusCode, headers });
    const region = headers[BUCKET_REGION_HEADER];
    const mismatch = regionMismatch(bucket, typeof region === 'string' ? region : undefined, opts.settings.region);
    if (mismatch) return { id: 'bucket', title, status: 'fail', detail: mismatch };
    return { id: 'bucket', title, status: 'pass', detail: `${bucket} is in ${region ?? `an unreported region (${BUCKET_REGION_HEADER} absent)`}` };
  } catch (error) {
    opts.wire?.recordTos('HeadBucket', bucket, tosOutcome(error));
    if (error instanceof TosCallError && error.statusCode === 404) {
      return { id: 'bucket', title, status: 'fail', detail: `no bucket ${bucket} at ${tosEndpointUrl(opts.settings)}; create it (or let TosModelDir do so with createBucket: true)` };
    }
    return { id: 'bucket', title, status: 'fail', detail: (error as Error).message };
  }
}

function tosOutcome(error: unknown): { status: number; headers: Record<string, unknown> } | { error: string } {
  const cause = (error as { cause?: { statusCode?: number; headers?: Record<string, unknown> } }).cause;
  if (error instanceof TosCallError && error.statusCode > 0) return { status: error.statusCode, headers: cause?.headers ?? {} };
  return { error: (error as Error).message };
}

// ---------------------------------------------------------------------------------------------------- helpers

/** Enough of an access key to tell keys apart, never the whole of it. */
export function maskKey(key: string): string {
  return key.length <= 8 ? `${key.slice(0, 2)}…` : `${key.slice(0, 6)}…${key.slice(-2)}`;
}

function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
