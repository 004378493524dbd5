import type http from 'node:http';
import { createGraphQLHttpHandler, type JwtService, type Logger, type RequestHandler } from '@chat4all/common';
import { callerFromAuthorization } from '../auth';
import type { GatewayContext } from '../context';
import type { LimitedApolloServer } from '../limits/request-limits';
import { sendJson } from './json';
import { createTokenHandler, type Login } from './token';

export interface GatewayHttpOptions {
  server: LimitedApolloServer;
  jwt: Pick<JwtService, 'verify'>;
  login: Login;
  log: Logger;
  maxBodyBytes: number;
  maxUploadBytes: number;
  maxUploadFiles: number;
  /** The playground's routes (answers true when it served the request); absent when the playground is off. */
  playground?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

/**
 * The gateway's routes: `/graphql` through the shared node-http adapter (JSON, GET, batches,
 * multipart uploads whose files stay streams), `/token`, and the playground when it is on. Health and metrics routes belong to
 * the service bootstrap in front of this handler.
 */
export function createGatewayHandler(options: GatewayHttpOptions): RequestHandler {
  const graphql = createGraphQLHttpHandler<GatewayContext>({
    server: options.server,
    path: '/graphql',
    // Runs before the body is read: a bad token is refused before any of it is parsed.
    context: async (req) => ({ identity: await callerFromAuthorization(req.headers.authorization, options.jwt) }),
    maxBodyBytes: options.maxBodyBytes,
    uploads: { maxFileSize: options.maxUploadBytes, maxFiles: options.maxUploadFiles },
    log: options.log,
  });
  const token = createTokenHandler(options.login, options.log);

  return (req, res) => {
    if (options.playground?.(req, res)) return;
    if ((req.url ?? '/').split('?')[0] !== '/token') return graphql(req, res);
    token(req, res).catch((error: unknown) => {
      options.log.error({ err: error }, '/token failed');
      if (!res.headersSent) sendJson(res, 500, { detail: 'internal server error' });
      else res.destroy();
    });
  };
}
