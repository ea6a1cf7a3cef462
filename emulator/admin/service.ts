import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import { TosHeaders } from '../../provider/api/tos';
import type { ArkApiError } from '../ark/errors';
import type { ArkControlPlane } from '../ark/control-plane';
import { FaultRuleInputSchema, type FaultInjector } from '../faults';
import { readBody, sendJson } from '../http';
import { ADMIN_PREFIX } from '../server';
import type { EmulatorService } from '../service';
import { formatTransitionPolicy, TransitionPolicySchema } from '../state/transitions';
import type { ResponseVariance } from '../ark/variance';
import type { BucketRecord, ObjectAttributes, ObjectRecord } from '../tos/records';
import { OWNER_ID } from '../tos/bucket-handlers';
import { HubStoreError, type HubRepoStore } from '../hub/store';
import type { TrafficMeter } from '../traffic';
import { commitView, repoView } from '../hub/views';
import {
  CreateBucketBodySchema,
  CreateModelUnitBodySchema,
  FailEndpointBodySchema,
  FailNextRollingBodySchema,
  HubAccessBodySchema,
  HubCommitBodySchema,
  ReclaimModelUnitBodySchema,
  SeedObjectBodySchema,
  VarianceBodySchema,
  type TosSummary,
} from './schemas';

/**
 * Admin routes under `/_ark-local/`: what a user's console (model units) or a test harness (reset, faults,
 * transition policy, inspection) would do. UNAUTHENTICATED by design: ark-local binds to 127.0.0.1 and these
 * routes must stay reachable from tests and the demo without a signature. `GET /_ark-local/` lists them.
 */
export const ADMIN_ROUTES: readonly { method: string; path: string; does: string }[] = [
  { method: 'GET', path: '', does: 'this list' },
  { method: 'POST', path: 'model-units', does: 'create a model unit, body {Name?, Slots?, FailWith?, SupportRolling?}; answers with its Id (mu-...)' },
  { method: 'GET', path: 'model-units', does: 'list the model units' },
  {
    method: 'POST',
    path: 'model-units/{id}/reclaim',
    does: 'reclaim a model unit as Ark does when it is unsubscribed, overdue or idle, body {Reason?}: it goes away, its endpoints go Abnormal for good',
  },
  { method: 'GET', path: 'traffic', does: 'response body bytes sent since start, per service, as {ServedBytes: {ark, tos, chat, admin, hub}}' },
  { method: 'GET', path: 'state', does: 'endpoints, custom models, model units, faults, transition policy, TOS summary' },
  { method: 'POST', path: 'reset', does: 'clear control-plane state, TOS objects and faults; restore the start policy' },
  { method: 'GET', path: 'transitions', does: 'the transition policy, as {policy, text}' },
  { method: 'PUT', path: 'transitions', does: 'set the transition policy, body: a TransitionPolicy' },
  { method: 'GET', path: 'faults', does: 'list the injected faults' },
  { method: 'POST', path: 'faults', does: 'inject a fault, body: a FaultRuleInput' },
  { method: 'DELETE', path: 'faults', does: 'clear the injected faults' },
  { method: 'POST', path: 'endpoints/{id}/fail', does: 'make an endpoint Abnormal, body {Reason}' },
  { method: 'POST', path: 'rollings/fail-next', does: 'make the next rollout fail once it reaches a percent, body {AtPercent, Reason?, EndpointId?}' },
  { method: 'GET', path: 'variance', does: 'whether variance mode is on, as {enabled}' },
  { method: 'PUT', path: 'variance', does: 'switch variance mode (emulator/ark/variance.ts), body {enabled: boolean}' },
  {
    method: 'POST',
    path: 'tos/buckets',
    does: "create a TOS bucket in any region, owned by ark-local's account or another (then ark-local's keys get 403 on it), body {Name, Region, Account?}",
  },
  {
    method: 'POST',
    path: 'tos/objects',
    does: 'seed a TOS object of Size bytes: HeadBase64 then zeros that are never stored (big-model tests), body {Bucket, Key, Size, HeadBase64, Meta?}',
  },
  { method: 'GET', path: 'hub/repos', does: 'list the hub repos: branches, commits, access' },
  {
    method: 'POST',
    path: 'hub/repos/{owner}/{name}/commits',
    does: 'publish a commit to a branch (repo made when new), body {Branch?, Directory?, Files?: [{Path, ContentBase64}], Delete?, Message?}; answers {Repo, Branch, Commit, Files}',
  },
  { method: 'PUT', path: 'hub/repos/{owner}/{name}/access', does: 'make a hub repo private or public, body {Private, Tokens?}: the tokens that may read it (default every hub token)' },
];

export interface AdminStore {
  reset(): Promise<void>;
  summary(): Promise<TosSummary>;
  createBucket(name: string, region: string, account?: string): Promise<BucketRecord>;
  seedObject(bucket: string, key: string, size: number, head: Buffer, attributes: ObjectAttributes): Promise<ObjectRecord>;
}

export interface AdminServiceOptions {
  controlPlane: ArkControlPlane;
  variance: ResponseVariance;
  faults: FaultInjector;
  store: AdminStore;
  hub: HubRepoStore;
  traffic: TrafficMeter;
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createAdminService(opts: AdminServiceOptions): EmulatorService {
  return {
    name: 'admin',
    async handle(req, res, url) {
      const route = url.pathname.slice(ADMIN_PREFIX.length).replace(/\/+$/, '');
      const method = req.method ?? 'GET';
      try {
        const body = await readBody(req);
        await serve(opts, res, method, route, body);
      } catch (err) {
        sendAdminError(res, err);
      }
    },
  };
}

async function serve(opts: AdminServiceOptions, res: ServerResponse, method: string, route: string, body: Buffer): Promise<void> {
  const cp = opts.controlPlane;
  const ok = (value: unknown, status = 200) => sendJson(res, status, value);
  const fail = route.match(/^endpoints\/([^/]+)\/fail$/);
  const reclaim = route.match(/^model-units\/([^/]+)\/reclaim$/);
  const hubRepo = route.match(/^hub\/repos\/([^/]+\/[^/]+)\/(commits|access)$/);

  if (route === '' && method === 'GET') {
    return ok({ routes: ADMIN_ROUTES.map((r) => ({ method: r.method, path: `${ADMIN_PREFIX}${r.path}`, does: r.does })) });
  }
  if (route === 'reset' && method === 'POST') {
    cp.adminReset();
    opts.faults.clear();
    opts.variance.reset();
    await opts.store.reset();
    opts.hub.reset();
    return ok({ reset: true });
  }
  if (route === 'traffic' && method === 'GET') return ok({ ServedBytes: opts.traffic.snapshot() });
  if (route === 'hub/repos' && method === 'GET') return ok({ repos: opts.hub.list().map(repoView) });
  if (hubRepo && hubRepo[2] === 'commits' && method === 'POST') {
    const input = parse(HubCommitBodySchema, body, 'hub commit');
    const { repo, commit } = await hubCall(() =>
      opts.hub.publish(decodeURIComponent(hubRepo[1]!), {
        branch: input.Branch,
        directory: input.Directory,
        files: input.Files?.map((f) => ({ path: f.Path, content: Buffer.from(f.ContentBase64, 'base64') })),
        delete: input.Delete,
        message: input.Message,
      }),
    );
    return ok(commitView(repo, input.Branch, commit), 201);
  }
  if (hubRepo && hubRepo[2] === 'access' && (method === 'PUT' || method === 'POST')) {
    const { Private, Tokens } = parse(HubAccessBodySchema, body, 'hub access');
    return ok(repoView(await hubCall(async () => opts.hub.setAccess(decodeURIComponent(hubRepo[1]!), { private: Private, readers: Tokens }))));
  }
  if (route === 'transitions' && method === 'GET') return ok({ policy: cp.getPolicy(), text: formatTransitionPolicy(cp.getPolicy()) });
  if (route === 'transitions' && (method === 'PUT' || method === 'POST')) {
    const policy = parse(TransitionPolicySchema, body, 'transition policy');
    cp.setPolicy(policy);
    return ok({ policy, text: formatTransitionPolicy(policy) });
  }
  if (route === 'variance' && method === 'GET') return ok({ enabled: opts.variance.isEnabled() });
  if (route === 'variance' && (method === 'PUT' || method === 'POST')) {
    const { enabled } = parse(VarianceBodySchema, body, 'variance setting');
    opts.variance.setEnabled(enabled);
    return ok({ enabled });
  }
  if (route === 'faults' && method === 'GET') return ok({ faults: opts.faults.list() });
  if (route === 'faults' && method === 'POST') return ok(opts.faults.add(parse(FaultRuleInputSchema, body, 'fault rule')), 201);
  if (route === 'faults' && method === 'DELETE') {
    opts.faults.clear();
    return ok({ faults: [] });
  }
  if (route === 'model-units' && method === 'GET') return ok({ modelUnits: cp.modelUnits.list() });
  if (route === 'model-units' && method === 'POST') return ok(cp.modelUnits.create(parse(CreateModelUnitBodySchema, body, 'model unit')), 201);
  if (reclaim && method === 'POST') {
    const { Reason } = parse(ReclaimModelUnitBodySchema, body, 'reclaim body');
    return ok(cp.adminReclaimModelUnit(decodeURIComponent(reclaim[1]!), Reason ?? 'unsubscribed'));
  }
  if (fail && method === 'POST') {
    const { Reason } = parse(FailEndpointBodySchema, body, 'failEndpoint body');
    return ok(cp.endpoints.adminFail(decodeURIComponent(fail[1]!), Reason));
  }
  if (route === 'rollings/fail-next' && method === 'POST') {
    const { AtPercent, Reason, EndpointId } = parse(FailNextRollingBodySchema, body, 'rolling failure');
    const armed = cp.rollings.adminArmFailure({
      atPercent: AtPercent,
      reason: Reason ?? `ark-local injected failure: the new model's replicas did not become healthy at ${AtPercent}%`,
      ...(EndpointId ? { endpointId: EndpointId } : {}),
    });
    return ok({ AtPercent: armed.atPercent, Reason: armed.reason, EndpointId: armed.endpointId }, 201);
  }
  if (route === 'tos/buckets' && method === 'POST') {
    const { Name, Region, Account } = parse(CreateBucketBodySchema, body, 'bucket');
    // Naming ark-local's own account is the same as naming none.
    const bucket = await opts.store.createBucket(Name, Region, Account === OWNER_ID ? undefined : Account);
    return ok({ Name: bucket.name, Region: bucket.region, Account: bucket.account ?? OWNER_ID }, 201);
  }
  if (route === 'tos/objects' && method === 'POST') {
    const seed = parse(SeedObjectBodySchema, body, 'seeded object');
    const meta = Object.fromEntries(Object.entries(seed.Meta ?? {}).map(([name, value]) => [`${TosHeaders.metaPrefix}${name}`, value]));
    const object = await opts.store.seedObject(seed.Bucket, seed.Key, seed.Size, Buffer.from(seed.HeadBase64, 'base64'), {
      httpHeaders: { 'content-type': 'application/octet-stream' },
      meta,
    });
    return ok({ Bucket: object.bucket, Key: object.key, Size: object.size, ETag: object.etag, HashCrc64ecma: object.crc64 }, 201);
  }
  if (route === 'state' && method === 'GET') {
    return ok({
      ...cp.adminSnapshot(),
      transitions: cp.getPolicy(),
      variance: opts.variance.isEnabled(),
      faults: opts.faults.list(),
      tos: await opts.store.summary(),
      hub: { repos: opts.hub.list().map(repoView) },
    });
  }
  throw new AdminError(404, 'NotFound', `No admin route ${method} ${ADMIN_PREFIX}${route}; GET ${ADMIN_PREFIX} lists them.`);
}

/** Hub store refusals (bad names, missing directory) are the caller's mistake: 400, not 500. */
async function hubCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HubStoreError) throw new AdminError(400, 'InvalidParameter', err.message);
    throw err;
  }
}

function parse<T extends z.ZodType>(schema: T, body: Buffer, what: string): z.infer<T> {
  let json: unknown;
  try {
    json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new AdminError(400, 'InvalidParameter', `The ${what} is not valid JSON: ${(err as Error).message}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new AdminError(400, 'InvalidParameter', `The ${what} field "${issue.path.join('.') || '(body)'}" is not valid: ${issue.message}`);
  }
  return result.data;
}

function sendAdminError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return;
  if (err instanceof AdminError) return sendJson(res, err.status, { error: { code: err.code, message: err.message } });
  const api = err as Partial<ArkApiError>;
  if (typeof api.code === 'string' && typeof api.status === 'number') {
    return sendJson(res, api.status, { error: { code: api.code, message: api.message } });
  }
  sendJson(res, 500, { error: { code: 'InternalError', message: (err as Error)?.message ?? String(err) } });
}
