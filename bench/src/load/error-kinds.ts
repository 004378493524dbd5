/** Counts a failed request under its kind: the error's code (`ECONNRESET`, `UND_ERR_SOCKET`), else its message. */
export function countErrorKind(kinds: Record<string, number>, error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  const kind = typeof code === 'string' ? code : error instanceof Error && /timed out/i.test(error.message) ? 'timeout' : String((error as Error)?.message ?? error).slice(0, 80);
  kinds[kind] = (kinds[kind] ?? 0) + 1;
}
