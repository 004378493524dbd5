export { configSchema, loadServiceConfig, type Config } from './config';
export { InstagramConnector, attachmentType, type InstagramOptions } from './instagram';
export { CassandraPlatformMessageRefs, REFS_TABLE } from './refs-cassandra';
export { SERVICE_NAME, createInstagramConnector, instagramService } from './server';
export { simulatorConfigSchema, loadSimulatorConfig, type SimulatorConfig } from './simulator/config';
export { instagramPlatform } from './simulator/platform';
export { instagramSimulatorService } from './simulator/server';
