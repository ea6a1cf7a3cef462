import type { z } from 'zod';
import { ArkErrors, GatewayErrors, notFoundCode, statusForCode, type NotFoundKind } from '../../provider/api/errors';

/**
 * The one error type behaviour code throws; the Ark service serializes it into `ResponseMetadata.Error` with the
 * HTTP status that goes with the code (provider/api/errors.ts). Messages name the thing, what was expected and
 * what was found.
 */
export class ArkApiError extends Error {
  readonly status: number;
  readonly codeN?: number;

  constructor(
    readonly code: string,
    message: string,
    status?: number,
  ) {
    super(message);
    this.name = 'ArkApiError';
    const gateway = (GatewayErrors as Record<string, { status: number; codeN?: number }>)[code];
    this.status = status ?? statusForCode(code);
    this.codeN = gateway?.codeN;
  }
}

export function notFound(kind: NotFoundKind, id: string): ArkApiError {
  return new ArkApiError(notFoundCode(kind), `The ${kind} "${id}" does not exist.`);
}

export function invalidParameter(field: string, message: string): ArkApiError {
  return new ArkApiError(`InvalidParameter.${field}`, `Parameter ${field} is not valid: ${message}`);
}

export function missingParameter(field: string, why?: string): ArkApiError {
  return new ArkApiError(`MissingParameter.${field}`, `Parameter ${field} is required${why ? ` ${why}` : ''}.`);
}

/**
 * A DryRun that passes every check answers like other Volcengine APIs do (e.g. ECS): error `DryRunOperation`,
 * HTTP 400 (inferred; the Ark docs do not say).
 */
export function dryRunPassed(): ArkApiError {
  return new ArkApiError('DryRunOperation', ArkErrors.DryRunOperation.message);
}

export function denied(code: keyof typeof ArkErrors, message: string): ArkApiError {
  return new ArkApiError(code, message);
}

/**
 * Turns the first zod issue into the documented `MissingParameter.{Field}` / `InvalidParameter.{Field}` code. The
 * field is the dotted path (e.g. `Filter.Statuses`, `Tags.0.Key`), so the client sees exactly what to fix.
 */
export function fromZodError(error: z.ZodError): ArkApiError {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join('.') || 'Body';
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  if (missing) return missingParameter(field);
  return invalidParameter(field, issue.message);
}
