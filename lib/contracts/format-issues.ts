import type { z } from 'zod';

/** Zod issues as `path: message` lines, `(root)` for the value itself. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], max = 10): string[] {
  const lines = issues
    .slice(0, max)
    .map((i) => `${i.path.length === 0 ? '(root)' : i.path.map(String).join('.')}: ${i.message}`);
  return issues.length > max ? [...lines, `... and ${issues.length - max} more`] : lines;
}
