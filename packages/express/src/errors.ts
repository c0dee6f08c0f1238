// The Express error handler: puts a thrown or `next(err)` error on the request's HttpResponse record
// and passes it on, so that the app's own error handler (or Express's default one) still responds.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpLogging } from '@loglane/core';

/** Set on a request whose body a body parser failed to read or parse (its `req.body` is not the body). */
export const BODY_FAILED = Symbol('loglane.express.bodyFailed');

// The `type` of body-parser's errors (https://github.com/expressjs/body-parser#errors).
const BODY_PARSER_ERROR = /^(?:entity|request|stream|encoding|charset|parameters)\./;

function isBodyParserError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  try {
    const type = (err as { type?: unknown }).type;
    return typeof type === 'string' && BODY_PARSER_ERROR.test(type);
  } catch {
    return false;
  }
}

/** An Express error-handling middleware (four parameters, as Express requires). */
export type LoglaneErrorHandler = (
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Creates the error handler of one `loglane()` instance. It records the first error of a request
 * (`errorType`, `errorMessage`, `errorStack`) and calls `next(err)`; it never writes a response.
 */
export function createErrorHandler(http: HttpLogging): LoglaneErrorHandler {
  // Four declared parameters: Express tells error handlers from middleware by `fn.length`.
  return function loglaneErrorHandler(err, req, _res, next): void {
    if (isBodyParserError(err)) (req as { [BODY_FAILED]?: boolean })[BODY_FAILED] = true;
    http.recordError(req, err);
    next(err);
  };
}
