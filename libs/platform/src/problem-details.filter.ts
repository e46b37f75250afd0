import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

export interface FieldProblem {
  field: string;
  message: string;
}

/** A 400 naming each bad field; rendered as application/problem+json by ProblemDetailsFilter. */
export class ValidationProblem extends HttpException {
  constructor(readonly problems: FieldProblem[]) {
    super({ message: 'Validation failed', problems }, HttpStatus.BAD_REQUEST);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** body-parser's refusals: status, and a detail that quotes nothing of the body. */
const BODY_READ_FAULTS: Record<string, { status: number; detail: string; errors?: FieldProblem[] }> = {
  'entity.too.large': { status: 413, detail: 'request body is larger than the 1 MB limit' },
  'entity.parse.failed': {
    status: 400,
    detail: 'request body is not valid JSON',
    errors: [{ field: 'body', message: 'not valid JSON' }],
  },
  'charset.unsupported': { status: 415, detail: 'the request body charset is not supported; send UTF-8' },
  'encoding.unsupported': { status: 415, detail: 'the request body content-encoding is not supported' },
  'request.aborted': { status: 400, detail: 'the request body was cut off' },
  'request.size.invalid': {
    status: 400,
    detail: 'the request body is shorter or longer than its Content-Length',
  },
  'parameters.too.many': { status: 413, detail: 'the form has too many fields' },
  'stream.encoding.set': { status: 400, detail: 'the request body could not be read' },
};

function bodyReadFault(err: unknown) {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && Object.hasOwn(BODY_READ_FAULTS, type)
    ? BODY_READ_FAULTS[type]
    : undefined;
}

function sendProblem(
  res: Response,
  status: number,
  instance: string,
  detail?: string,
  errors?: FieldProblem[],
): void {
  if (res.headersSent) return;
  res
    .status(status)
    .type('application/problem+json')
    .json({
      type: 'about:blank',
      title: TITLES[status] ?? 'Error',
      status,
      ...(detail ? { detail } : {}),
      instance,
      ...(errors ? { errors } : {}),
    });
}

/**
 * Express error middleware for the body parsers, mounted right after them. Without it Nest turns a
 * JSON syntax error into a 400 whose detail is the parser's message, which quotes the start of the
 * body (personal data, in a referral).
 */
export function bodyReadErrors(err: unknown, req: Request, res: Response, next: NextFunction): void {
  const fault = bodyReadFault(err);
  if (!fault) return next(err);
  sendProblem(res, fault.status, req.path, fault.detail, fault.errors);
}

/**
 * Every error leaves as RFC 9457 problem+json. Unexpected errors are logged by name and message
 * only (never the request body, which may hold personal data) and answered with a bare 500.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<{ method: string; path: string }>();
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let detail: string | undefined;
    let errors: FieldProblem[] | undefined;

    if (req.path.startsWith('/health') && exception instanceof HttpException) {
      // Readiness keeps Terminus's report of which part is down, for probes and people alike.
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    if (exception instanceof ValidationProblem) {
      status = 400;
      errors = exception.problems;
      detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      detail = typeof body === 'string' ? body : extractMessage(body);
    } else if (bodyReadFault(exception)) {
      // The body parser's refusals (too large, not JSON, an unknown charset...) are the client's doing.
      ({ status, detail, errors } = bodyReadFault(exception)!);
    } else {
      const e = exception as Error;
      this.log.error(
        `${req.method} ${req.path} failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(exception)}`,
      );
    }
    sendProblem(res, status, req.path, detail, errors);
  }
}

function extractMessage(body: object): string | undefined {
  const m = (body as { message?: unknown }).message;
  if (Array.isArray(m)) return m.join('; ');
  return typeof m === 'string' ? m : undefined;
}
