// Unit tests of the Block Kit toolkit (src/blocks/blocks.ts).
import { describe, expect, it } from "vitest";
import { codeSpan } from "../../../src/blocks/blocks.js";

describe("codeSpan", () => {
  it("keeps typed text inside one code span, escaped for mrkdwn", () => {
    expect(codeSpan("ls `x` <!channel> & y\nz")).toBe("`ls 'x' &lt;!channel&gt; &amp; y z`");
    expect(codeSpan("x".repeat(300)).length).toBeLessThan(210);
  });
});
