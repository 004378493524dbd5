export * from './random';
export * from './platform';
export * from './webhooks';
export * from './server';
export * from './config';
export * from './service';
