export * from './backoff';
export * from './config';
export * from './consumer';
export * from './dead-letter';
export * from './lag';
export * from './metrics';
export * from './namespace';
