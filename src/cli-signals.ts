/**
 * The CLI told to stop (SIGINT from Ctrl-C, SIGTERM from a supervisor) while it deletes: the first
 * signal stops new deletions from starting, lets the ones in flight finish and be recorded, and the
 * request is paused (the CLI then prints how to resume or cancel it); a second signal ends the
 * process at once with the usual status (130, 143), and the next `requests resume` reconciles.
 */
import type { StopRequest } from "./approvals/execute.js";

export interface SignalSource {
  on(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  off(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
}

export interface SignalStop {
  /** Polled before each deletion starts. */
  stopRequested: () => StopRequest | null;
  /** Removes the listeners (the command is over). */
  dispose: () => void;
}

const EXIT_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;

export function stopOnSignals(
  source: SignalSource,
  say: (line: string) => void,
  exit: (code: number) => void,
): SignalStop {
  let asked: StopRequest | null = null;
  const listeners = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const listener = () => {
      if (asked !== null) {
        exit(EXIT_STATUS[signal]);
        return;
      }
      asked = { kind: "signal", reason: `the dvol process got ${signal}` };
      say(`dvol: ${signal}: stopping after the deletions in flight; ${signal} again to quit now`);
    };
    source.on(signal, listener);
    return { signal, listener };
  });
  return {
    stopRequested: () => asked,
    dispose: () => {
      for (const { signal, listener } of listeners) source.off(signal, listener);
    },
  };
}
