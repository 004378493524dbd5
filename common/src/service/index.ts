export * from './service';
export * from './http';
export * from './readiness';
export * from './shutdown';
export * from './metrics';
