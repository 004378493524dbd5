import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/**
 * `DateTime`: ISO-8601 in UTC with milliseconds (`Date.prototype.toISOString()`), the format the event contracts use.
 * Output accepts a Date or ISO text; input must be text with an explicit zone.
 */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function toDate(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_WITH_ZONE.test(value)) throw new GraphQLError('DateTime must be an ISO-8601 string with a time zone');
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime out of range: ${value}`);
  return date;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : typeof value === 'string' ? toDate(value) : null;
    if (!date || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent this value');
    return date.toISOString();
  },
  parseValue: toDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string', { nodes: ast });
    return toDate(ast.value);
  },
});
