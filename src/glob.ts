/** Shell-style globs (`*`, `?`) over whole strings, as used for host targets and protect rules. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

export function isGlob(s: string): boolean {
  return /[*?]/.test(s);
}
