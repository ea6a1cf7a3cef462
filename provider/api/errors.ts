/**
 * Error codes of the Ark control plane, with the HTTP status each is sent with. The client classifies errors
 * by these codes; the emulator raises them. Where the reference marks a code or status as inferred, the entry
 * says so and docs/api-assumptions.md lists it.
 */
export interface ErrorCodeSpec {
  readonly status: number;
  readonly codeN?: number;
  readonly message: string;
}

/** Volcengine gateway codes (reference: ark-api.md §1.3, tos-protocol.md §E.1; confirmed). */
export const GatewayErrors = {
  MissingParameter: { status: 400, codeN: 100002, message: 'The request is missing a required parameter.' },
  MissingAuthenticationToken: { status: 401, codeN: 100003, message: 'The request has no Authorization header.' },
  MissingRequestInfo: { status: 400, codeN: 100004, message: 'The request is missing the X-Date header.' },
  InvalidTimestamp: { status: 403, codeN: 100006, message: 'The request time is expired or too far from the server time.' },
  InvalidActionOrVersion: { status: 404, codeN: 100008, message: 'Could not find the operation for this version.' },
  InvalidAccessKey: { status: 401, codeN: 100009, message: 'The access key id does not exist.' },
  SignatureDoesNotMatch: { status: 401, codeN: 100010, message: 'The request signature we calculated does not match the signature you provided.' },
  AccessDenied: { status: 403, codeN: 100013, message: 'You are not authorized to perform this operation.' },
  InternalError: { status: 500, codeN: 100014, message: 'The request failed due to an internal error.' },
  FlowLimitExceeded: { status: 429, codeN: 100018, message: 'Your request has been throttled. Please retry later.' },
  ServiceUnavailableTemp: { status: 503, codeN: 100019, message: 'The service is temporarily unavailable.' },
  InternalServiceError: { status: 500, codeN: 100023, message: 'The service encountered an internal error.' },
  /** HTTP 400 as the official error-code list gives it (not 401). */
  InvalidAuthorization: { status: 400, codeN: 100024, message: 'The Authorization header is malformed.' },
  InvalidCredential: { status: 400, codeN: 100025, message: 'The Credential in the Authorization header is malformed.' },
} as const satisfies Record<string, ErrorCodeSpec>;

/**
 * Ark service codes. `MissingParameter.{Param}` and `InvalidParameter.{Param}` are families: the emulator
 * appends the parameter name (reference: confirmed by D-1299023).
 */
export const ArkErrors = {
  InvalidParameter: { status: 400, message: 'One or more parameters specified in the request are not valid.' },
  'InvalidParameter.TosURLInvalid': { status: 400, message: 'The TOS location is not valid.' },
  'Duplicate.Tags.Key': { status: 400, message: 'The tag keys contain a duplicate.' },
  /** [I] Custom model names are account-unique (C-cli); the code and status for a clash are not documented. */
  'Duplicate.Name': { status: 409, message: 'A resource with this name already exists.' },
  /** [I] HTTP status undocumented; the code is C-cli. */
  'OperationDenied.EndpointStatus': { status: 403, message: 'The endpoint status does not allow this operation.' },
  'OperationDenied.InvalidState': { status: 403, message: 'The resource state does not allow this operation.' },
  /** [I] Deleting a custom model that an endpoint still serves. */
  'OperationDenied.CustomModelInUse': { status: 403, message: 'The custom model is referenced by an endpoint.' },
  /** [I] The model unit has no free slot for another endpoint. */
  'OperationDenied.ModelUnitInsufficient': { status: 403, message: 'The model unit has no capacity for another endpoint.' },
  'OperationDenied.PermissionDenied': { status: 403, message: 'Permission denied.' },
  /** [I] A DryRun whose checks all passed (as other Volcengine APIs answer it); nothing was changed. */
  DryRunOperation: { status: 400, message: 'Request validation has been passed with DryRun flag set.' },
  /** [I] Code for a missing resource, `NotFound.{Parameter}` (C-cli), e.g. NotFound.Endpoint. */
  NotFound: { status: 404, message: 'The specified resource is not found.' },
} as const satisfies Record<string, ErrorCodeSpec>;

export type GatewayErrorCode = keyof typeof GatewayErrors;
export type ArkErrorCode = keyof typeof ArkErrors;

/** Resource kinds named in `NotFound.{Kind}` codes. */
export type NotFoundKind = 'Endpoint' | 'CustomModel' | 'ModelUnit' | 'FoundationModel' | 'EndpointRolling';

export function notFoundCode(kind: NotFoundKind): string {
  return `NotFound.${kind}`;
}

/** The HTTP status that goes with a code, including the dotted families. */
export function statusForCode(code: string): number {
  if (code in GatewayErrors) return GatewayErrors[code as GatewayErrorCode].status;
  if (code in ArkErrors) return ArkErrors[code as ArkErrorCode].status;
  const family = code.split('.')[0];
  if (family === 'NotFound') return 404;
  if (family === 'MissingParameter' || family === 'InvalidParameter' || family === 'Duplicate') return 400;
  if (family === 'OperationDenied') return 403;
  return 500;
}
