// Unit tests of the CLI's plan text (src/commands/delete/text.ts) under backups before deletion: a
// volume whose size is not yet measured is said to be backed up only up to backup.maxBytes.
import { describe, expect, it } from "vitest";
import type { DeletionResult } from "../../../../src/commands/delete/run.js";
import { renderDeletionText } from "../../../../src/commands/delete/text.js";
import { planned } from "../../../support/requests.js";

const result = (over: Partial<DeletionResult>): DeletionResult => ({
  command: "rm",
  host: "host1",
  stage: "planned",
  pausedReason: null,
  request: "rm host1 a b",
  requestId: null,
  status: null,
  requester: "cli:t",
  reason: null,
  expiresAt: null,
  plan: [planned("a"), planned("b")],
  blocked: [],
  leftOut: 0,
  outcomes: [],
  summary: null,
  filters: null,
  backup: "first",
  ...over,
});

const NOTE =
  "A volume whose size is not yet measured (?) is backed up first all the same; its backup stops at backup.maxBytes, when set, and the volume is then not deleted.";

describe("the plan as text, with backups first", () => {
  it("says that a volume of unknown size is backed up only up to backup.maxBytes", () => {
    const text = renderDeletionText(result({ plan: [planned("a"), planned("b", { sizeBytes: null })] }));
    expect(text.split("\n")).toContain(NOTE);
  });

  it("says nothing of it when every size is known, or when volumes are not backed up", () => {
    expect(renderDeletionText(result({}))).not.toContain("not yet measured");
    const skipped = result({ backup: "skipped", plan: [planned("b", { sizeBytes: null })] });
    expect(renderDeletionText(skipped)).not.toContain("not yet measured");
  });
});
