/**
 * What the gate confirms itself before it forwards a request (the checks the operation table
 * asks for): a delete's volume not denied, not over the rate limit and used by no container; a
 * restore's volume absent, its writable helper only on a volume this gate created; an archive or
 * a removal only of a helper this gate created (its memory, then the engine's ID and label).
 */
import { globToRegExp } from "../glob.js";
import type { GateConfig } from "./config.js";
import { EngineUnavailableError, type GateEngine } from "./engine.js";
import { type Check, HELPER_LABEL, type Planned } from "./operations.js";

/** A request the gate refuses: 403 (or the status given) with a short reason. */
export class Refused extends Error {
  constructor(
    readonly reason: string,
    readonly status = 403,
  ) {
    super(reason);
  }
}

export class GateChecks {
  /** What the gate remembers of this run: the helpers and the volumes it created. */
  private readonly made = {
    helpers: new Map<string, { writable: boolean; volume: string }>(),
    volumes: new Set<string>(),
  };
  private readonly deny: { pattern: string; re: RegExp }[];
  /** When the deletes of the last minute passed the deny list (each counts, forwarded or not). */
  private readonly deletes: number[] = [];

  constructor(
    private readonly engine: GateEngine,
    private readonly limits: Pick<GateConfig, "deny" | "deletesPerMinute">,
    private readonly now: () => number,
  ) {
    this.deny = limits.deny.map((p) => ({ pattern: p, re: globToRegExp(p) }));
  }

  /** A volume deleted: it is no longer one this gate made. */
  forgetVolume(name: string): void {
    this.made.volumes.delete(name);
  }

  /** A helper removed (or found gone): no later call on it is allowed. */
  forgetHelper(id: string): void {
    this.made.helpers.delete(id);
  }

  /** Remembers what an answer created: a helper (by its ID) or a restored volume. */
  remember(plan: Planned, text: Buffer, askedAt: number): void {
    if (plan.remember === "volume" && plan.volume && this.newSince(text, askedAt)) {
      this.made.volumes.add(plan.volume);
    }
    if (plan.remember === "helper" && plan.volume) {
      try {
        const id = (JSON.parse(text.toString("utf8")) as { Id?: unknown }).Id;
        if (typeof id === "string" && /^[0-9a-f]{64}$/.test(id)) {
          this.made.helpers.set(id, { writable: plan.writable === true, volume: plan.volume });
        }
      } catch {
        // An answer without an Id: nothing to remember, so no later call on it is allowed.
      }
    }
  }

  /**
   * Whether a volume the engine says it created is new: the engine answers 201 with the existing
   * volume when one of that name appeared after the gate found none (a race with another client
   * of the engine), and then its CreatedAt (whole seconds) is before the request.
   */
  private newSince(text: Buffer, askedAt: number): boolean {
    try {
      const created = Date.parse(
        (JSON.parse(text.toString("utf8")) as { CreatedAt?: string }).CreatedAt ?? "",
      );
      return Number.isFinite(created) && created >= Math.floor(askedAt / 1000) * 1000;
    } catch {
      return false;
    }
  }

  /** Confirms one check of the plan with the gate's memory and the engine, or throws Refused. */
  async confirm(check: Check, plan: Planned): Promise<void> {
    switch (check.kind) {
      case "delete-allowed": {
        const hit = this.deny.find((d) => d.re.test(check.volume));
        if (hit) throw new Refused(`the volume ${check.volume} is on the gate's deny list (${hit.pattern})`);
        const t = this.now();
        while (this.deletes.length && (this.deletes[0] as number) <= t - 60_000) this.deletes.shift();
        if (this.deletes.length >= this.limits.deletesPerMinute) {
          throw new Refused(
            `more than ${this.limits.deletesPerMinute} volume deletes in a minute; try again shortly`,
          );
        }
        // Counted here, at once: concurrent deletes are all checked before any reaches the engine.
        this.deletes.push(t);
        return;
      }
      case "volume-unused": {
        const { status, body } = await this.engine.json("GET", "/containers/json", [
          ["all", "1"],
          ["filters", JSON.stringify({ volume: [check.volume] })],
        ]);
        if (status !== 200 || !Array.isArray(body))
          throw new EngineUnavailableError(`the engine's container list answered ${status}`);
        if (body.length > 0) {
          const names = body.map(
            (c: { Names?: string[]; Id?: string }) => c.Names?.[0]?.replace(/^\//, "") ?? c.Id?.slice(0, 12),
          );
          throw new Refused(`the volume ${check.volume} is used by ${names.slice(0, 5).join(", ")}`);
        }
        return;
      }
      case "volume-absent":
      case "volume-exists": {
        const { status } = await this.engine.json("GET", `/volumes/${check.volume}`, []);
        if (status !== 200 && status !== 404)
          throw new EngineUnavailableError(`the engine's volume inspect answered ${status}`);
        if (check.kind === "volume-absent" && status === 200)
          throw new Refused(`the volume ${check.volume} exists already`);
        if (check.kind === "volume-exists") {
          if (status === 404) throw new Refused(`no volume ${check.volume}`);
          if (check.made && !this.made.volumes.has(check.volume)) {
            throw new Refused(
              `a writable helper is offered only for a volume this gate created in this run (${check.volume})`,
            );
          }
        }
        return;
      }
      case "made-volume": {
        if (!this.made.volumes.has(check.volume)) {
          throw new Refused(
            `a backup certificate deletes only a volume this gate created for a restore in this run (${check.volume})`,
          );
        }
        return;
      }
      case "own-helper": {
        const mine = this.made.helpers.get(check.container);
        if (!mine) throw new Refused("the container is not a helper this gate created");
        if (check.writable && !mine.writable)
          throw new Refused("the helper is read-only: it is for a backup");
        const { status, body } = await this.engine.json("GET", `/containers/${check.container}/json`, []);
        const c = (body ?? {}) as { Id?: string; Config?: { Labels?: Record<string, string> } };
        if (status === 404) {
          this.made.helpers.delete(check.container);
          throw new Refused("the helper is gone");
        }
        if (status !== 200 || c.Id !== check.container || c.Config?.Labels?.[HELPER_LABEL] !== "1") {
          throw new Refused("the container is not a helper this gate created");
        }
        plan.volume ??= mine.volume;
        return;
      }
    }
  }
}
