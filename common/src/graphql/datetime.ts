import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

function fromText(text: string): Date {
  const date = new Date(text);
  // Only full ISO-8601 date-times: `new Date` also accepts forms like "2026" or "Nov 26" that clients should not rely on.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) || Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime must be an ISO-8601 date-time, e.g. 2026-11-26T17:00:00.000Z (got "${text.slice(0, 40)}")`);
  }
  return date;
}

/** ISO-8601 in UTC on the wire, `Date` in resolvers. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date-time in UTC, e.g. 2026-11-26T17:00:00.000Z.',
  serialize(value) {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
    if (typeof value === 'string') return fromText(value).toISOString();
    throw new GraphQLError('DateTime cannot represent this value');
  },
  parseValue(value) {
    if (typeof value !== 'string') throw new GraphQLError('DateTime must be a string');
    return fromText(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string');
    return fromText(ast.value);
  },
});
