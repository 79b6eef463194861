// A TCP proxy that adds latency: bytes from the client go to the engine at once; every chunk from
// the engine to the client is held `delayMs` and then written, in the order it arrived. It never
// looks into the bytes, so TLS passes through untouched and the client verifies the real engine.
// `down()` makes the host go away (every connection cut, new ones refused at once) until `up()`:
// a host that fails mid-execution, for the tests.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

export interface DelayProxy {
  /** The loopback port clients connect to. */
  port: number;
  delayMs: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Cuts every connection and refuses new ones (they are closed at once) until up(). */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export interface DelayProxyOptions {
  targetHost: string;
  targetPort: number;
  delayMs: number;
}

export async function startDelayProxy(opts: DelayProxyOptions): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let isDown = false;
  const track = (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };

  // allowHalfOpen on both legs: a client that has finished sending must still get the engine's
  // (delayed) answer, and the engine's end is passed on only after the data before it.
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = createConnection({
      host: opts.targetHost,
      port: opts.targetPort,
      allowHalfOpen: true,
      noDelay: true,
    });
    track(client);
    track(upstream);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.once("close", () => upstream.destroy());

    client.pipe(upstream); // client -> engine: straight through (ends upstream when the client ends)

    if (opts.delayMs <= 0) {
      upstream.pipe(client);
      return;
    }
    // engine -> client: a FIFO of (due time, chunk); null is the engine's end of stream.
    const queue: { due: number; chunk: Buffer | null }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = () => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && (queue[0] as { due: number }).due <= now) {
        const { chunk } = queue.shift() as { chunk: Buffer | null };
        if (client.destroyed) return;
        if (chunk === null) client.end();
        else client.write(chunk);
      }
      schedule(now);
    };
    const schedule = (now: number) => {
      const head = queue[0];
      if (head && !timer) timer = setTimeout(drain, Math.max(1, Math.ceil(head.due - now)));
    };
    const enqueue = (chunk: Buffer | null) => {
      const now = performance.now();
      queue.push({ due: now + opts.delayMs, chunk });
      schedule(now);
    };
    upstream.on("data", (c: Buffer) => enqueue(c));
    upstream.once("end", () => enqueue(null));
    upstream.once("close", () => {
      // An engine that resets the connection: the client learns it after the data before it.
      if (upstream.errored) enqueue(null);
    });
    client.once("close", () => {
      if (timer) clearTimeout(timer);
      queue.length = 0;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  if (typeof addr !== "object" || !addr) throw new Error("delay proxy: no port");

  return {
    port: addr.port,
    delayMs: opts.delayMs,
    get connections() {
      return connections;
    },
    down() {
      isDown = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      isDown = false;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
