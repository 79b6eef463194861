// Summary of a `node --cpu-prof` profile of the dvol CLI: self time by package and by function,
// with positions in the minified bundle mapped back through its source map (dist/cli.cjs.map).
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { SourceMap } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  byGroup: { group: string; ms: number }[];
  byFunction: { fn: string; group: string; ms: number }[];
}

const maps = new Map<string, SourceMap | null>();

/** The source map of a bundle (file://... or a path), if it has one next to it. */
function sourceMapOf(url: string): SourceMap | null {
  let map = maps.get(url);
  if (map === undefined) {
    try {
      const file = url.startsWith("file://") ? fileURLToPath(url) : url;
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
    } catch {
      map = null;
    }
    maps.set(url, map);
  }
  return map;
}

/** Node's own code, by what it is doing. */
function nodeGroup(url: string): string {
  if (/^node:(internal\/tls\/|_tls_|tls$|https$|internal\/crypto)/.test(url))
    return "node: TLS (contexts, handshakes)";
  if (url === "node:internal/util/inspect") return "node: util.inspect";
  if (/^node:internal\/(modules|bootstrap)/.test(url)) return "node: module loading, start-up";
  if (/^node:(_http_|http$|net$|internal\/net|url$|internal\/url)/.test(url)) return "node: http, net, url";
  return "node: other";
}

function where(cf: CallFrame): { fn: string; group: string } {
  if (!cf.url) return { fn: cf.functionName || "(anonymous)", group: cf.functionName || "(native)" };
  if (cf.url.startsWith("node:"))
    return { fn: `${cf.functionName || "(anonymous)"} ${cf.url}`, group: nodeGroup(cf.url) };
  const map = cf.url.endsWith(".cjs") ? sourceMapOf(cf.url) : null;
  if (map) {
    const entry = map.findEntry(cf.lineNumber, cf.columnNumber) as
      | { originalSource?: string; originalLine?: number; name?: string }
      | undefined;
    const src = entry?.originalSource?.replace(/^.*?\/(src|node_modules)\//, "$1/") ?? "(bundle)";
    const group = src.startsWith("node_modules/")
      ? (src
          .split("/")
          .slice(0, src.split("/")[1]?.startsWith("@") ? 3 : 2)
          .join("/") ?? src)
      : src.startsWith("src/")
        ? "dvol src/"
        : src;
    const line = entry?.originalLine === undefined ? "" : `:${entry.originalLine + 1}`;
    return { fn: `${entry?.name ?? cf.functionName ?? "(anonymous)"} ${src}${line}`, group };
  }
  return { fn: `${cf.functionName || "(anonymous)"} ${cf.url}`, group: cf.url };
}

export async function summariseProfile(file: string, top = 12): Promise<ProfileSummary> {
  const p = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    const dt = p.timeDeltas[i + 1] ?? 0; // the time until the next sample belongs to this one
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const groups = new Map<string, number>();
  const fns = new Map<string, { group: string; us: number }>();
  for (const [id, us] of selfUs) {
    const cf = frames.get(id);
    if (!cf) continue;
    const w = where(cf);
    groups.set(w.group, (groups.get(w.group) ?? 0) + us);
    const f = fns.get(w.fn) ?? { group: w.group, us: 0 };
    f.us += us;
    fns.set(w.fn, f);
  }
  return {
    file,
    totalMs: (p.endTime - p.startTime) / 1000,
    byGroup: [...groups.entries()]
      .map(([group, us]) => ({ group, ms: us / 1000 }))
      .sort((a, b) => b.ms - a.ms),
    byFunction: [...fns.entries()]
      .map(([fn, f]) => ({ fn, group: f.group, ms: f.us / 1000 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}

/** The newest .cpuprofile in `dir`. */
export async function newestProfile(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile")).sort();
  const last = files[files.length - 1];
  if (!last) throw new Error(`no .cpuprofile in ${dir}`);
  return join(dir, last);
}

export function renderProfile(title: string, s: ProfileSummary): string[] {
  const lines = [`#### ${title}`, "", `Profile: \`${s.file}\`, ${Math.round(s.totalMs)} ms profiled.`, ""];
  lines.push("| self time by origin | ms |", "|---|---:|");
  for (const g of s.byGroup.slice(0, 10)) lines.push(`| ${g.group} | ${g.ms.toFixed(1)} |`);
  lines.push("", "| top functions (self time) | ms |", "|---|---:|");
  for (const f of s.byFunction) lines.push(`| \`${f.fn.replace(/\|/g, "\\|")}\` | ${f.ms.toFixed(1)} |`);
  lines.push("");
  return lines;
}
