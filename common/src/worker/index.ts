export * from './backoff';
export * from './config';
export * from './consumer';
export * from './lag';
export * from './metrics';
export * from './namespace';
