import { hasBody, mediaTypeMatches, mediaTypeOf } from './body-media-type.interceptor';
import { bodyShapeProblems, MAX_BODY_DEPTH } from './validation';

describe('request bodies at the edge', () => {
  it('reads the media type without parameters or case', () => {
    expect(mediaTypeOf('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(mediaTypeOf(undefined)).toBe('');
    expect(mediaTypeOf(['text/csv', 'text/plain'])).toBe('text/csv');
  });

  it('matches +json suffix types, and nothing else, against application/*+json', () => {
    expect(mediaTypeMatches('application/merge-patch+json', 'application/*+json')).toBe(true);
    expect(mediaTypeMatches('application/+json', 'application/*+json')).toBe(false);
    expect(mediaTypeMatches('text/plain', 'application/*+json')).toBe(false);
    expect(mediaTypeMatches('application/json', 'application/json')).toBe(true);
    expect(mediaTypeMatches('application/jsonx', 'application/json')).toBe(false);
  });

  it('counts a body only when one is sent', () => {
    expect(hasBody({ headers: {} })).toBe(false);
    expect(hasBody({ headers: { 'content-length': '0' } })).toBe(false);
    expect(hasBody({ headers: { 'content-length': '2' } })).toBe(true);
    expect(hasBody({ headers: { 'transfer-encoding': 'chunked' } })).toBe(true);
  });

  it('names every prototype key, however deep, and nesting past the limit, and nothing else', () => {
    const body = JSON.parse(
      '{"a":1,"__proto__":{"x":1},"b":{"constructor":{"prototype":{}}},"c":[{"ok":1},{"hasOwnProperty":null}]}',
    ) as unknown;
    expect(
      bodyShapeProblems(body)
        .map((p) => p.field)
        .sort(),
    ).toEqual(['__proto__', 'b.constructor', 'c.1.hasOwnProperty'].sort());
    expect(bodyShapeProblems({ a: { b: [1, 'x', null] }, name: 'toString' })).toEqual([]);
    const nest = (depth: number) => {
      let v: unknown = 'x';
      for (let i = 0; i < depth; i++) v = { d: v };
      return v;
    };
    expect(bodyShapeProblems(nest(MAX_BODY_DEPTH))).toEqual([]);
    expect(bodyShapeProblems(nest(MAX_BODY_DEPTH + 1))).toEqual([
      { field: Array(MAX_BODY_DEPTH).fill('d').join('.'), message: expect.stringContaining('nested') },
    ]);
    expect(bodyShapeProblems(nest(100_000))).toHaveLength(1);
    // A string holding NUL, wherever it sits (Postgres stores none).
    const nul = bodyShapeProblems({ name: 'a\u0000b', list: ['ok', '\u0000'], inner: { ok: 'fine' } });
    expect(nul.map((p) => p.field).sort()).toEqual(['list.1', 'name']);
    for (const p of nul) expect(p.message).toContain('NUL');
  });
});
