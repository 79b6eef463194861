// The in-memory store (src/store/memory.ts), for unit tests of what uses a store, keeps the same
// contract as the real ones.
import { createMemoryState, MemoryStore } from "../../src/store/memory.js";
import { storeContract } from "./contract.js";

storeContract("memory", async () => {
  const state = createMemoryState();
  return {
    open: async (opts) => new MemoryStore({ state, ...opts }),
    dispose: async () => {},
  };
});
