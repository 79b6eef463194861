// The in-memory store (src/store/memory.ts), for unit tests of what uses a store, keeps the same
// contract as the real ones.
import { createMemoryState, MemoryStore } from "../../src/store/memory.js";
import { auditKey } from "../../src/store/shared.js";
import { storeContract } from "./contract.js";

storeContract("memory", async () => {
  const state = createMemoryState();
  return {
    open: async (opts) => new MemoryStore({ state, ...opts }),
    plantAudit: async (record, stored) => {
      const trail = state.audit.get(record.requestId) ?? new Map<string, string>();
      state.audit.set(record.requestId, trail);
      trail.set(auditKey(record), JSON.stringify(stored));
    },
    dispose: async () => {},
  };
});
