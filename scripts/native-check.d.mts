/** Returns a one-line description of better-sqlite3 loaded in this Node; throws an Error saying how to rebuild it when it does not load. */
export function checkNative(): string;
