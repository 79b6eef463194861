// A separate process using the embedded store's file (test/store/embedded.test.ts starts several):
// at goAt + round × gapMs it tries, in each round, to claim `round-<n>` and to move the request
// from version n to n + 1. Prints {"claims":[…],"updates":[…]}.

import { openEmbeddedStore } from "../../src/store/embedded.js";
import type { DeletionRequest } from "../../src/store/records.js";

const [file, requestId, goAtText, roundsText, gapText, me] = process.argv.slice(2);
const store = await openEmbeddedStore({ file: String(file) });
const goAt = Number(goAtText);
const claims: boolean[] = [];
const updates: boolean[] = [];
const base = await store.getRequest(String(requestId));
if (!base) throw new Error("no request");
for (let round = 0; round < Number(roundsText); round++) {
  const wait = goAt + round * Number(gapText) - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const next: DeletionRequest = { ...base, executor: String(me), version: round + 2 };
  const [c, u] = await Promise.all([
    store.claim(`round-${round}`, "2999-01-01T00:00:00.000Z", new Date().toISOString()),
    store.updateRequest(next, round + 1),
  ]);
  claims.push(c);
  updates.push(u);
}
await store.close();
process.stdout.write(JSON.stringify({ claims, updates }));
