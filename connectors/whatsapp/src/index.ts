export { configSchema, loadServiceConfig, type Config } from './config';
export { WhatsAppConnector, mapWhatsAppStatus, type WhatsAppOptions } from './whatsapp';
export { SERVICE_NAME, createWhatsAppConnector, whatsappService } from './server';
export { simulatorConfigSchema, loadSimulatorConfig, type SimulatorConfig } from './simulator/config';
export { whatsappPlatform, SIMULATED_WABA_ID } from './simulator/platform';
export { whatsappSimulatorService } from './simulator/server';
