/** Reads every file entry of a zip into memory: entry name to its bytes (directories left out). */
export function readZip(file: string): Map<string, Buffer>;
