export * from './service';
export * from './http';
export * from './readiness';
export * from './shutdown';
export * from './metrics';
export * from './store-calls';
export * from './runner';
export * from './node-flags';
