/**
 * Typed errors of the Ark control-plane client. Every error carries the action, the service's error code, its
 * message, the HTTP status and the request id, so a user report can be matched to a server log line. The kind
 * decides retrying (client.ts) and what controllers do (NotFound on read = gone, Conflict = state race, ...).
 */

export type ArkErrorKind =
  | 'NotFound'
  | 'Conflict'
  | 'Throttling'
  | 'Auth'
  | 'Validation'
  | 'Server'
  | 'Network'
  /** The answer could not be understood (not JSON, or not the documented shape). */
  | 'Protocol';

export interface ArkErrorDetails {
  action: string;
  code: string;
  message: string;
  /** 0 when no HTTP answer was received (network errors). */
  httpStatus: number;
  requestId?: string;
}

export class ArkError extends Error {
  readonly kind: ArkErrorKind = 'Server';
  readonly action: string;
  readonly code: string;
  readonly serviceMessage: string;
  readonly httpStatus: number;
  readonly requestId?: string;

  constructor(details: ArkErrorDetails) {
    const where = details.httpStatus ? `HTTP ${details.httpStatus}` : 'no HTTP answer';
    const request = details.requestId ? `, request id ${details.requestId}` : '';
    super(`Ark ${details.action} failed: ${details.code}: ${details.message} (${where}${request})`);
    this.name = new.target.name;
    this.action = details.action;
    this.code = details.code;
    this.serviceMessage = details.message;
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
  }
}

export class ArkNotFoundError extends ArkError {
  override readonly kind = 'NotFound';
}
/** The resource exists but its state or a uniqueness rule refuses the call (Duplicate.*, OperationDenied.*). */
export class ArkConflictError extends ArkError {
  override readonly kind = 'Conflict';
}
export class ArkThrottlingError extends ArkError {
  override readonly kind = 'Throttling';
}
export class ArkAuthError extends ArkError {
  override readonly kind = 'Auth';
}
/** The request was refused as malformed, by the service (InvalidParameter.*) or by the client before sending. */
export class ArkValidationError extends ArkError {
  override readonly kind = 'Validation';
}
export class ArkServerError extends ArkError {
  override readonly kind = 'Server';
}
export class ArkProtocolError extends ArkError {
  override readonly kind = 'Protocol';
  /**
   * The answer's `Result` as received, when the envelope was an Ark answer but the Result did not match the
   * reader: a delete or refresh can still take the few fields it needs from it (finders.ts `salvage`).
   */
  readonly result?: unknown;
  constructor(details: ArkErrorDetails & { result?: unknown }) {
    super(details);
    this.result = details.result;
  }
}
export class ArkNetworkError extends ArkError {
  override readonly kind = 'Network';
  /** False only when the request certainly never reached the server (connection refused, DNS). */
  readonly maybeSent: boolean;
  constructor(details: ArkErrorDetails & { maybeSent: boolean }) {
    super(details);
    this.maybeSent = details.maybeSent;
  }
}

type ArkErrorClass = new (details: ArkErrorDetails) => ArkError;

/** Codes whose family alone does not reveal the kind. Checked before the family rules below. */
const KIND_BY_CODE: Record<string, ArkErrorClass> = {
  FlowLimitExceeded: ArkThrottlingError,
  MissingAuthenticationToken: ArkAuthError,
  MissingRequestInfo: ArkAuthError,
  InvalidTimestamp: ArkAuthError,
  InvalidAccessKey: ArkAuthError,
  SignatureDoesNotMatch: ArkAuthError,
  AccessDenied: ArkAuthError,
  InvalidAuthorization: ArkAuthError,
  InvalidCredential: ArkAuthError,
  'OperationDenied.PermissionDenied': ArkAuthError,
  /** A malformed request (400), unlike the other Duplicate.* codes, which clash with existing resources. */
  'Duplicate.Tags.Key': ArkValidationError,
  InvalidActionOrVersion: ArkValidationError,
  InternalError: ArkServerError,
  InternalServiceError: ArkServerError,
  ServiceUnavailableTemp: ArkServerError,
};

/** `Family.Detail` codes, by family. */
const KIND_BY_FAMILY: Record<string, ArkErrorClass> = {
  NotFound: ArkNotFoundError,
  Duplicate: ArkConflictError,
  OperationDenied: ArkConflictError,
  InvalidParameter: ArkValidationError,
  MissingParameter: ArkValidationError,
  RateLimitExceeded: ArkThrottlingError,
  QuotaExceeded: ArkThrottlingError,
};

/** Builds the typed error for an error answer: by code first, then code family, then HTTP status. */
export function arkErrorFromResponse(details: ArkErrorDetails): ArkError {
  const family = details.code.split('.')[0];
  const byCode = Object.hasOwn(KIND_BY_CODE, details.code)
    ? KIND_BY_CODE[details.code]
    : Object.hasOwn(KIND_BY_FAMILY, family)
      ? KIND_BY_FAMILY[family]
      : undefined;
  if (byCode) return new byCode(details);
  return new (errorClassForStatus(details.httpStatus))(details);
}

function errorClassForStatus(status: number): ArkErrorClass {
  if (status === 429) return ArkThrottlingError;
  if (status === 401 || status === 403) return ArkAuthError;
  if (status === 404) return ArkNotFoundError;
  if (status === 409) return ArkConflictError;
  if (status >= 400 && status < 500) return ArkValidationError;
  return ArkServerError;
}

export function isArkError(error: unknown, kind?: ArkErrorKind): error is ArkError {
  return error instanceof ArkError && (kind === undefined || error.kind === kind);
}

export function isNotFound(error: unknown): error is ArkNotFoundError {
  return isArkError(error, 'NotFound');
}

export function hasCode(error: unknown, code: string): error is ArkError {
  return error instanceof ArkError && error.code === code;
}
