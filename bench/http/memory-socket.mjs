// In-memory HTTP connections for the in-process benchmark: a Duplex handed to a node:http server as
// a 'connection', so requests go through Node's own HTTP parser, IncomingMessage, ServerResponse,
// keep-alive and 'finish'/'close' exactly as on a TCP socket, without the kernel or a second process.
import { Duplex } from 'node:stream';

/**
 * Raw bytes of a keep-alive HTTP/1.1 request.
 * @param {{ method: string, path: string, headers?: Record<string, string>, body?: string }} request
 */
export function requestBytes({ method, path, headers = {}, body }) {
  const lines = [`${method} ${path} HTTP/1.1`, 'host: bench.local', 'connection: keep-alive'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`, 'latin1');
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * One client connection to `server`. `send(bytes)` writes one request and resolves to the response's
 * status code once the whole response (headers and `content-length` body bytes) has come back.
 * One request at a time per connection (no pipelining), like a browser or autocannon's connections.
 */
export class MemoryConnection {
  /**
   * @param {import('node:http').Server} server
   * @param {number} index distinguishes the connections' remote ports
   */
  constructor(server, index) {
    /** @type {((status: number) => void) | undefined} */
    this.resolve = undefined;
    /** @type {Buffer[]} */
    this.chunks = [];
    this.received = 0;
    this.expected = -1;
    this.status = 0;
    const socket = new Duplex({
      read() {},
      write: (chunk, _encoding, callback) => {
        this.onBytes(chunk);
        callback();
      },
      writev: (chunks, callback) => {
        for (const { chunk } of chunks) this.onBytes(chunk);
        callback();
      },
    });
    // What node:http and the loggers read from a net.Socket (req.ip, pino-http's remoteAddress/Port).
    Object.assign(socket, {
      remoteAddress: '127.0.0.1',
      remotePort: 40_000 + index,
      remoteFamily: 'IPv4',
      localAddress: '127.0.0.1',
      localPort: 8080,
      setTimeout: () => socket,
      setNoDelay: () => socket,
      setKeepAlive: () => socket,
      ref: () => socket,
      unref: () => socket,
    });
    this.socket = socket;
    server.emit('connection', socket);
  }

  /** Sends one request; resolves to the status code when its response is complete. */
  send(bytes) {
    if (this.resolve) throw new Error('bench: one request at a time per connection');
    const done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.socket.push(bytes);
    return done;
  }

  onBytes(chunk) {
    if (typeof chunk === 'string') chunk = Buffer.from(chunk, 'latin1');
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.expected < 0) {
      const head = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
      const end = head.indexOf(HEADER_END);
      if (end === -1) return;
      const text = head.toString('latin1', 0, end);
      this.status = Number(text.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(text);
      if (!length) throw new Error(`bench: response without content-length:\n${text}`);
      this.expected = end + HEADER_END.length + Number(length[1]);
    }
    if (this.received < this.expected) return;
    if (this.received > this.expected) throw new Error('bench: more bytes than one response (unexpected pipelining)');
    const resolve = this.resolve;
    const status = this.status;
    this.resolve = undefined;
    this.chunks = [];
    this.received = 0;
    this.expected = -1;
    resolve?.(status);
  }
}
