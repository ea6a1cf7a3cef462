import type { IncomingMessage, ServerResponse } from 'node:http';
import { ArkActions, isArkAction, type ArkAction } from '../../provider/api/ark';
import { ARK_API_VERSION, ARK_SERVICE } from '../../provider/api/envelope';
import { GatewayErrors, type GatewayErrorCode } from '../../provider/api/errors';
import { verifyVolcSignature } from '../auth/volc-signature';
import { runWithFaults, stripFields, type FaultInjector } from '../faults';
import { BodyTooLargeError, readBody } from '../http';
import type { Credentials } from '../options';
import type { EmulatorService } from '../service';
import type { Clock } from '../state/transitions';
import type { ArkControlPlane } from './control-plane';
import { newRequestId, sendError, sendMetadataOnly, sendResult, type CallInfo } from './envelope';
import { ArkApiError, fromZodError, invalidParameter } from './errors';
import type { ResponseVariance } from './variance';

/** Largest control-plane request body accepted; Ark requests are small JSON documents. */
export const MAX_ARK_BODY_BYTES = 1024 * 1024;

export interface ArkServiceOptions {
  controlPlane: ArkControlPlane;
  credentials: Credentials;
  faults: FaultInjector;
  region: string;
  clock: Clock;
  variance: ResponseVariance;
}

type Handler = (cp: ArkControlPlane, request: never) => unknown;

/** Action -> behaviour. Requests arrive already validated by `ArkActions[action].request`. */
const HANDLERS: { [A in ArkAction]: Handler } = {
  CreateEndpoint: (cp, r) => cp.endpoints.create(r),
  GetEndpoint: (cp, r) => cp.endpoints.get(r),
  ListEndpoints: (cp, r) => cp.endpoints.list(r),
  UpdateEndpoint: (cp, r) => cp.endpoints.update(r),
  DeleteEndpoint: (cp, r) => cp.endpoints.delete(r),
  StartEndpoint: (cp, r) => cp.endpoints.start(r),
  StopEndpoint: (cp, r) => cp.endpoints.stop(r),
  GetApiKey: (cp, r) => cp.apiKeys.issue(r),
  UploadModel: (cp, r) => cp.customModels.upload(r),
  GetCustomModel: (cp, r) => cp.customModels.get(r),
  ListCustomModels: (cp, r) => cp.customModels.list(r),
  UpdateCustomModel: (cp, r) => cp.customModels.update(r),
  DeleteCustomModel: (cp, r) => cp.customModels.delete(r),
  CreateEndpointRolling: (cp, r) => cp.rollings.create(r),
  GetEndpointRolling: (cp, r) => cp.rollings.get(r),
  RollbackEndpointRolling: (cp, r) => cp.rollings.rollback(r),
  CancelEndpointRolling: (cp, r) => cp.rollings.cancel(r),
};

/**
 * The Ark control plane over HTTP: `POST /?Action=X&Version=2024-01-01` with a JSON body, any Host.
 * Order: body -> signature -> Action/Version -> injected faults -> JSON + schema validation -> behaviour.
 * Every failure leaves state untouched and answers the real envelope.
 */
export function createArkService(opts: ArkServiceOptions): EmulatorService {
  return {
    name: 'ark',
    async handle(req, res, url) {
      const call: CallInfo = {
        requestId: newRequestId(opts.clock()),
        action: url.searchParams.get('Action') ?? '',
        version: url.searchParams.get('Version') ?? '',
        region: opts.region,
      };
      try {
        await serve(opts, req, res, url, call);
      } catch (err) {
        if (res.headersSent) return;
        sendError(res, call, toApiError(err));
      }
    },
  };
}

async function serve(opts: ArkServiceOptions, req: IncomingMessage, res: ServerResponse, url: URL, call: CallInfo): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_ARK_BODY_BYTES);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    // Stop reading the rest: Node closes the connection once the answer is written.
    res.setHeader('connection', 'close');
    throw new ArkApiError('InvalidParameter.Body', `The request body is larger than ${MAX_ARK_BODY_BYTES} bytes.`, 413);
  }

  const verdict = verifyVolcSignature(
    { method: req.method ?? 'GET', path: url.pathname, rawQuery: url.search.slice(1), headers: req.headers, body },
    { credentials: opts.credentials, service: ARK_SERVICE, region: opts.region, now: opts.clock() },
  );
  if (!verdict.ok) throw gatewayError(verdict.code, verdict.message);

  if (!call.action) throw gatewayError('MissingParameter', 'The query parameter Action is required.');
  if (!call.version) throw gatewayError('MissingParameter', 'The query parameter Version is required.');
  if (!isArkAction(call.action) || call.version !== ARK_API_VERSION) {
    throw gatewayError('InvalidActionOrVersion', `Could not find operation ${call.action} for version ${call.version}; the ark service serves version ${ARK_API_VERSION}.`);
  }
  if (req.method !== 'POST') {
    throw gatewayError('InvalidActionOrVersion', `Could not find operation ${call.action} for method ${req.method}; Ark actions are POST with a JSON body.`);
  }
  const action = call.action;

  await runWithFaults(
    opts.faults,
    'ark',
    action,
    req,
    res,
    (r, kind) => sendError(r, call, gatewayError(kind === 'throttle' ? 'FlowLimitExceeded' : 'InternalServiceError', kind === 'throttle' ? GatewayErrors.FlowLimitExceeded.message : GatewayErrors.InternalServiceError.message)),
    async (_body, answerFault) => {
      const request = parseRequest(action, body);
      const result = await HANDLERS[action](opts.controlPlane, request as never);
      // Built to the contract: a result that does not match the schema is an emulator bug, not a client error.
      const checked = ArkActions[action].result.safeParse(result);
      if (!checked.success) throw new Error(`${action} built a Result that does not match its schema: ${checked.error.message}`);
      const varied = opts.variance.vary(action, checked.data);
      if (varied.omitResult) sendMetadataOnly(res, call);
      else sendResult(res, call, answerFault?.fields ? stripFields(varied.result, answerFault.fields) : varied.result);
    },
  );
}

function parseRequest(action: ArkAction, body: Buffer): unknown {
  let json: unknown = {};
  const text = body.toString('utf8');
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw invalidParameter('Body', `expected a JSON object, found text that does not parse (${(err as Error).message})`);
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalidParameter('Body', `expected a JSON object, found ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const parsed = ArkActions[action].request.safeParse(json);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

function gatewayError(code: GatewayErrorCode, message: string): ArkApiError {
  return new ArkApiError(code, message);
}

function toApiError(err: unknown): ArkApiError {
  if (err instanceof ArkApiError) return err;
  return new ArkApiError('InternalError', `ark-local failed to handle the request: ${(err as Error)?.message ?? String(err)}`);
}
