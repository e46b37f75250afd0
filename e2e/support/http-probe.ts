/** One answer, read whole (Server-Sent Events: only the status line and headers). */
export interface Reply {
  status: number;
  type: string;
  headers: Headers;
  text: string;
  json?: unknown;
}

export interface Probe {
  method: string;
  token?: string;
  /** A JSON value (sent as application/json) ... */
  body?: unknown;
  /** ... or bytes as they are, with this content type (null: none at all). */
  raw?: { data: string | Uint8Array; type: string | null };
  headers?: Record<string, string>;
}

/** Sends one request and reads the answer, never hanging on a stream that does not end. */
export async function probe(url: string, p: Probe): Promise<Reply> {
  const headers: Record<string, string> = { ...p.headers };
  if (p.token) headers.authorization = `Bearer ${p.token}`;
  let body: string | Uint8Array | undefined;
  if (p.raw) {
    body = p.raw.data;
    if (p.raw.type !== null) headers['content-type'] = p.raw.type;
  } else if (p.body !== undefined) {
    body = JSON.stringify(p.body);
    headers['content-type'] = 'application/json';
  }
  // A string body would get text/plain from fetch itself: bytes go without a content type.
  if (typeof body === 'string' && p.raw?.type === null) body = new TextEncoder().encode(body);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 60_000);
  try {
    const res = await fetch(url, { method: p.method, headers, body, signal: controller.signal });
    const type = res.headers.get('content-type') ?? '';
    let text = '';
    if (type.startsWith('text/event-stream')) await res.body?.cancel();
    else text = await res.text();
    let json: unknown;
    try {
      json = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      // CSV, NDJSON, HTML
    }
    return { status: res.status, type, headers: res.headers, text, json };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `work` over `items`, `width` at a time. */
export async function inPool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}
