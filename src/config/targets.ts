import { UnknownHostError, UsageError } from "../errors.js";
import { globToRegExp, isGlob } from "../glob.js";
import type { Config, HostConfig } from "./types.js";

/** One registered host by name. */
export function resolveHost(config: Config, name: string): HostConfig {
  const host = config.hosts.find((h) => h.name === name);
  if (!host)
    throw new UnknownHostError(
      name,
      config.hosts.map((h) => h.name),
    );
  return host;
}

/**
 * A target: a host name, a comma list of names, a glob (`web-*`) or `all`. Every part must match
 * at least one registered host; the result keeps the config's order and has no duplicates.
 */
export function resolveTarget(config: Config, target: string): HostConfig[] {
  if (target === "all") return [...config.hosts];
  const parts = target.split(",").map((p) => p.trim());
  if (parts.some((p) => p === "")) throw new UsageError(`empty name in target "${target}"`);
  const chosen = new Set<HostConfig>();
  for (const part of parts) {
    if (part === "all") {
      for (const h of config.hosts) chosen.add(h);
    } else if (isGlob(part)) {
      const re = globToRegExp(part);
      const matches = config.hosts.filter((h) => re.test(h.name));
      if (matches.length === 0)
        throw new UnknownHostError(
          part,
          config.hosts.map((h) => h.name),
        );
      for (const h of matches) chosen.add(h);
    } else {
      chosen.add(resolveHost(config, part));
    }
  }
  return config.hosts.filter((h) => chosen.has(h));
}
