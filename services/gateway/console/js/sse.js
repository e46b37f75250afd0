// Server-Sent Events over fetch: EventSource cannot send an Authorization header, so the stream is read
// with fetch and a ReadableStream and its frames parsed here (the text/event-stream format of the HTML
// standard: `event:`, `data:`, `id:`, `retry:` fields, comments starting with a colon, blank line ends).

/** Parses SSE text fed in chunks; calls onEvent({type, data, id}) for each complete frame. */
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.reset();
    this.lastEventId = '';
    this.retry = undefined;
  }

  reset() {
    this.type = '';
    this.data = [];
  }

  push(chunk) {
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    // The last piece may be a half-received line: keep it for the next chunk.
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  line(line) {
    if (line === '') {
      if (this.data.length) {
        this.onEvent({ type: this.type || 'message', data: this.data.join('\n'), id: this.lastEventId });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const i = line.indexOf(':');
    const field = i === -1 ? line : line.slice(0, i);
    let value = i === -1 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

/**
 * Reads `/api/v1<path>` as an event stream until `signal` aborts, reconnecting after the server's
 * `retry` delay (5 s by default) with Last-Event-ID. onState('open' | 'reconnecting' | 'closed').
 */
export async function openStream(path, { token, signal, onEvent, onState = () => {} }) {
  let retryMs = 5000;
  let lastEventId = '';
  while (!signal.aborted) {
    const parser = new SseParser((ev) => {
      lastEventId = ev.id;
      onEvent(ev);
    });
    try {
      const headers = { accept: 'text/event-stream', authorization: `Bearer ${token()}` };
      if (lastEventId) headers['last-event-id'] = lastEventId;
      const res = await fetch(`/api/v1${path}`, { headers, signal, cache: 'no-store' });
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      onState('open');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
        if (parser.retry !== undefined) retryMs = parser.retry;
      }
    } catch (err) {
      if (signal.aborted) break;
      console.warn('event stream interrupted:', err instanceof Error ? err.message : err);
    }
    if (signal.aborted) break;
    onState('reconnecting');
    await new Promise((resolve) => {
      const t = setTimeout(resolve, retryMs);
      signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
  onState('closed');
}
