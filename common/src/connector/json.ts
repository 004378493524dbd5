/** Narrowing helpers for platform JSON (request bodies, answers, webhooks), whose shapes we never trust. */
export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value when it is an array, else an empty one: absent or malformed lists read as "nothing". */
export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
