/**
 * The shape of a command's grammar entry (each command's `grammar.ts`): its arguments, options,
 * summary and examples; and the filter options several commands share. No imports, so that every
 * grammar entry imports nothing but this.
 */

export type OptionKind = "flag" | "string" | "label" | "int" | "enum";

export interface OptionSpec {
  name: string;
  kind: OptionKind;
  metavar?: string;
  values?: readonly string[];
  repeatable?: boolean;
  help: string;
}

export type ArgKind = "host" | "target" | "volume" | "topic" | "action" | "request" | "backup";

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  optional?: boolean;
  /** The last argument only: one or more (`<volume>...`). */
  variadic?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  args: readonly ArgSpec[];
  options: readonly OptionSpec[];
  examples: readonly string[];
}

/** `--project P`: ls and prune. */
export const PROJECT_OPTION: OptionSpec = {
  name: "project",
  kind: "string",
  metavar: "P",
  help: "only volumes of compose project P",
};

/** `--label K[=V]`, repeatable: ls and prune. */
export const LABEL_OPTION: OptionSpec = {
  name: "label",
  kind: "label",
  metavar: "K[=V]",
  repeatable: true,
  help: "only volumes with label K (with value V); repeat to require several",
};
