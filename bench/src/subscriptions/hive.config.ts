import { loadConfig, signIdentity } from '@chat4all/common';
import { z } from 'zod';
import { CALLER_HEADER } from './protocol';

/**
 * Hive Gateway's configuration for the subscriptions benchmark, loaded by its CLI (`hive-gateway supergraph <file> -c
 * <this file>`). Hive passes a subscription to the subgraph that owns the field (messages) over graphql-ws. Our
 * messages subgraph serves no subscriptions (our gateway does, from Kafka), so the stand-in subgraph at
 * `BENCH_SUBSCRIPTION_SOURCE` answers them instead: the bare graphql-ws server (bare-server.ts), fed by the same
 * events, giving the message's own fields and its sender's key. Hive then resolves the sender's `displayName` from
 * the users subgraph per event, as federation requires.
 *
 * Identity: the subscriber names its caller in the upgrade request (`CALLER_HEADER`, the user the load process
 * registered), and every subgraph request Hive makes for it is signed here, at the time it is made. (The gateway
 * benchmark's load process signs the headers itself; a subscription outlives a signature's 60 s.) Our gateway checks
 * the caller's token and signs the same headers itself.
 *
 * The shape is declared here rather than imported: Hive's typings pull the DOM library into the whole program's type
 * check.
 */

interface HiveSubscriptionsConfig {
  transportEntries: Record<string, { options: { subscriptions: { kind: 'ws'; location: string } } }>;
  propagateHeaders: {
    fromClientToSubgraphs(payload: { request: Request }): Record<string, string>;
  };
}

const env = loadConfig(z.object({ IDENTITY_SIGNING_KEY: z.string(), BENCH_SUBSCRIPTION_SOURCE: z.string() }));

export const gatewayConfig: HiveSubscriptionsConfig = {
  transportEntries: {
    messages: { options: { subscriptions: { kind: 'ws', location: env.BENCH_SUBSCRIPTION_SOURCE } } },
  },
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const caller = request.headers.get(CALLER_HEADER);
      if (!caller) return {};
      const { userId, username } = JSON.parse(caller) as { userId: string; username: string };
      return signIdentity({ userId, username }, env.IDENTITY_SIGNING_KEY);
    },
  },
};
