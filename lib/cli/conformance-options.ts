export function registerConformanceCommand(..._a: unknown[]): void {}
