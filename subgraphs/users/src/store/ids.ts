const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuid columns: anything else can match no row, and the engine would reject it as a parameter. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
