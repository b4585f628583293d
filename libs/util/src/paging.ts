/** The page size to use: 0 (unset) means the default of 50; at most 100. */
export function clampPageSize(requested: number): number {
  if (requested <= 0) {
    return 50;
  }
  return Math.min(requested, 100);
}
