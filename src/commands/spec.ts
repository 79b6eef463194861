/**
 * The shape of a command's grammar entry (each command's `grammar.ts`): its arguments, options,
 * summary and examples. Types only, so that every grammar entry imports nothing else.
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

export type ArgKind = "host" | "target" | "volume" | "topic";

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
