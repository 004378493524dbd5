import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER } from '@chat4all/common';

/**
 * Reference (b): a plain `@apollo/gateway` with its default settings on the same supergraph. The only addition is what
 * any deployment in front of these subgraphs needs: the caller's signed identity headers are passed through to them
 * (the load process signs them, as our gateway would). Run as its own process: PORT, SUPERGRAPH_PATH.
 */

interface Context {
  identity: Record<string, string>;
}

class PassIdentity extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>): void {
    // Context is absent for the gateway's own requests (none are made with a static supergraph).
    const identity = 'identity' in context ? (context.identity as Record<string, string>) : {};
    for (const [name, value] of Object.entries(identity)) request.http?.headers.set(name, value);
  }
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const supergraphSdl = readFileSync(String(process.env.SUPERGRAPH_PATH), 'utf8');
  const gateway = new ApolloGateway({ supergraphSdl, buildService: ({ url }) => new PassIdentity({ url }) });
  const server = new ApolloServer<Context>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port, host: '127.0.0.1' },
    context: async ({ req }) => {
      const identity: Record<string, string> = {};
      for (const name of [IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER]) {
        const value = req.headers[name];
        if (typeof value === 'string') identity[name] = value;
      }
      return { identity };
    },
  });
  console.log(JSON.stringify({ msg: 'plain apollo gateway started', url }));
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
