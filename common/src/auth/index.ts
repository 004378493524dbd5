export * from './config';
export * from './errors';
export * from './password';
export * from './jwt';
export * from './identity';
