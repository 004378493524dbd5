export { configSchema, loadServiceConfig, type Config } from './config';
export { DEFAULT_ROUTING_RULES, RoutingRulesError, chooseChannel, parseRoutingRules, routingTable, type RoutingRule, type RoutingTable } from './rules';
export { ROUTER_SOURCE, createRouteHandler, type RouterDependencies } from './route';
export { persistStatusHandler } from './persist';
export { SERVICE_NAME, routerService, type RouterOverrides } from './server';
