import type { Response } from 'express';

export interface FieldProblem {
  field: string;
  message: string;
}

/** An RFC 9457 problem, as every other error of the platform is answered. */
export function sendProblem(
  res: Response,
  status: number,
  title: string,
  detail: string,
  errors?: FieldProblem[],
): void {
  res
    .status(status)
    .type('application/problem+json')
    .json({ type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) });
}
