/**
 * A path as people read it, from its segments: keys joined with dots, indices and keys that are
 * not identifiers in brackets (quoted and escaped as JSON, so any key prints safely).
 *
 * @example
 * formatProblemPath(['steps', 2, 'dependencies', 0]); // 'steps[2].dependencies[0]'
 * formatProblemPath(['properties', 'a.b']); // 'properties["a.b"]'
 */
export function formatProblemPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const key = String(seg);
      if (/^[A-Za-z_$][\w$]*$/.test(key)) return i === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}
