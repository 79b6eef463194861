// Counting the DELETEs that reached a real engine: its volume `destroy` events, one per DELETE that
// removed a volume. They are recorded live from the engine's events stream, opened before the test
// deletes anything: a query with `since` reads only the engine's buffer of its last 256 events
// (moby's eventsLimit), which other test files sharing the engine can fill, so a count taken that
// way can miss a deletion and make a test fail, or pass, for the wrong reason.
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { type EngineInfo, socketRequest } from "./engines.js";

interface DestroyEvent {
  name: string;
  atMs: number;
}

export interface DestroyRecorder {
  /**
   * How many `destroy` events each of `names` had from `sinceMs` (less one second, as the engine's
   * clock is read in whole seconds by some versions) until now. It first waits for a barrier (a
   * volume of its own made and removed): the engine publishes events in order, so every DELETE
   * answered before this call has its event counted.
   */
  counts(sinceMs: number, names: readonly string[]): Promise<Record<string, number>>;
  close(): void;
}

/** Starts recording `engine`'s volume `destroy` events; resolves once the stream is open. */
export async function recordDestroys(engine: EngineInfo): Promise<DestroyRecorder> {
  const events: DestroyEvent[] = [];
  const waiters = new Map<string, () => void>();
  const filters = encodeURIComponent(JSON.stringify({ type: ["volume"], event: ["destroy"] }));
  const req = httpRequest({ socketPath: engine.socketPath, path: `/events?filters=${filters}` });
  await new Promise<void>((resolve, reject) => {
    req.once("error", reject);
    req.once("response", (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /events on ${engine.kind}: HTTP ${res.statusCode}`));
        return;
      }
      let buf = "";
      res.on("data", (chunk: Buffer) => {
        buf += chunk.toString("utf8");
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const e = JSON.parse(line) as { Actor?: { ID?: string }; timeNano?: number; time?: number };
          const name = e.Actor?.ID ?? "";
          const atMs = e.timeNano !== undefined ? e.timeNano / 1e6 : (e.time ?? 0) * 1000;
          events.push({ name, atMs });
          waiters.get(name)?.();
        }
      });
      res.on("error", () => {});
      resolve();
    });
    req.end();
  });

  async function barrier(): Promise<void> {
    const name = `dvol-events-barrier-${randomBytes(6).toString("hex")}`;
    const seen = new Promise<void>((resolve) => waiters.set(name, resolve));
    const made = await socketRequest(engine.socketPath, "POST", "/volumes/create", 20_000, { Name: name });
    if (made.status !== 201)
      throw new Error(`barrier volume on ${engine.kind}: HTTP ${made.status} ${made.body}`);
    const gone = await socketRequest(engine.socketPath, "DELETE", `/volumes/${name}`, 20_000);
    if (gone.status !== 204)
      throw new Error(`barrier volume on ${engine.kind}: HTTP ${gone.status} ${gone.body}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        seen,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${engine.kind}: no destroy event for ${name} within 20 s`)),
            20_000,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      waiters.delete(name);
    }
  }

  return {
    async counts(sinceMs, names) {
      await barrier();
      const from = sinceMs - 1000;
      const counts = Object.fromEntries(names.map((n) => [n, 0]));
      for (const e of events) {
        if (e.atMs >= from && e.name in counts) counts[e.name] = (counts[e.name] ?? 0) + 1;
      }
      return counts;
    },
    close() {
      req.destroy();
    },
  };
}
