import { IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER } from '@chat4all/common';

/**
 * Reference (c): Hive Gateway's configuration, loaded by its CLI (`hive-gateway supergraph <file> -c <this file>`).
 * Only what these subgraphs need is set: the caller's signed identity headers go through to them; everything else
 * is Hive's default. The shape is declared here rather than imported: Hive's typings pull the DOM library into
 * the whole program's type check.
 */
interface HiveHeaderPropagation {
  propagateHeaders: {
    fromClientToSubgraphs(payload: { request: Request }): Record<string, string | null>;
  };
}

export const gatewayConfig: HiveHeaderPropagation = {
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      [IDENTITY_HEADER]: request.headers.get(IDENTITY_HEADER),
      [IDENTITY_SIGNATURE_HEADER]: request.headers.get(IDENTITY_SIGNATURE_HEADER),
    }),
  },
};
