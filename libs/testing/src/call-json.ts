/** What a service under test answered: the status, its content type and the body, parsed as JSON. */
export interface Answer<T> {
  status: number;
  type: string;
  body: T;
}

/**
 * One request to a service under test, as a client of its API makes it: the bearer token when given,
 * a JSON body (a string is sent as it is, for malformed-body tests), extra headers. An empty answer
 * has an undefined body; a non-JSON answer throws, as a test should.
 */
export async function callJson<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}
