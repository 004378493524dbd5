/**
 * Where a file lives in the bucket: its content under `files/<id>`, its metadata beside it under `meta/<id>.json`.
 * Ids are UUIDv7 text (checked before any key is built), so keys sort by upload time and cannot name anything else.
 */
export const contentKey = (id: string): string => `files/${id}`;
export const metadataKey = (id: string): string => `meta/${id}.json`;
