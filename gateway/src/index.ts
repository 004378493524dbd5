export { configSchema, loadServiceConfig, graphqlToggles, type Config } from './config';
export { createGateway, gatewayService, type Gateway } from './server';
export { composeSupergraph, composeSources, loadSubgraphSources } from './supergraph/compose';
export { PLAYGROUND_PATH } from './playground';
