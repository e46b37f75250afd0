import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldProblem, ValidationProblem } from './problem-details.filter';

/** Flattens class-validator's tree into `patient.nhsNumber: must be ...` style field problems. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    // class-validator reports a body that is no object at all (an array, say) without a property.
    const property = (e.property as string | undefined) ?? 'body';
    const field = parent ? `${parent}.${property}` : property;
    for (const message of Object.values(e.constraints ?? {})) out.push({ field, message });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/**
 * Keys that reach an object's prototype machinery rather than its data: `__proto__`, `prototype`, and
 * every name Object.prototype carries (`constructor`, `hasOwnProperty`, `toString`...). class-transformer
 * drops some of them without a word, so class-validator's whitelist never sees them; others shadow a
 * method that class-validator itself calls (`{"hasOwnProperty": 1}` inside a nested object made it
 * throw, a 500). They are refused by name before anything else looks at the body.
 */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

/** Deeper than any body the platform takes (a PCN's practices are three levels down). */
export const MAX_BODY_DEPTH = 32;

/**
 * What is wrong with a parsed body's shape before any DTO looks at it: every place that carries a
 * prototype key, nesting deeper than MAX_BODY_DEPTH (class-transformer recurses into nested
 * values, so a few thousand levels of `[[[...]]]` in an unknown field exhausted the stack: a 500), and
 * every string holding the NUL character, which no Postgres text or jsonb value can store (an
 * organisation named "\u0000" passed its DTO and failed at the INSERT: a 500, found by the fuzzer).
 */
export function bodyShapeProblems(value: unknown, parent = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  // Iterative, so that the check itself cannot exhaust the stack; parsed JSON holds no cycles.
  const pending: { v: unknown; path: string; depth: number }[] = [{ v: value, path: parent, depth: 0 }];
  while (pending.length) {
    const { v, path, depth } = pending.pop()!;
    if (typeof v === 'string' && v.includes('\u0000')) {
      out.push({ field: path, message: 'must not contain the NUL character (\\u0000)' });
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_BODY_DEPTH) {
      out.push({ field: path, message: `is nested more than ${MAX_BODY_DEPTH} levels deep` });
      continue;
    }
    for (const key of Object.keys(v)) {
      const field = path ? `${path}.${key}` : key;
      if (PROTOTYPE_KEYS.has(key)) out.push({ field, message: `${key} is not an allowed field name` });
      else pending.push({ v: (v as Record<string, unknown>)[key], path: field, depth: depth + 1 });
    }
  }
  return out;
}

/** Whitelisting validation at every edge: unknown fields are refused, not silently dropped. */
class EdgeValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problems = bodyShapeProblems(value);
      if (problems.length) throw new ValidationProblem(problems);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new EdgeValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new ValidationProblem(flattenValidationErrors(errors)),
  });
}
