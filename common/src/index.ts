export * from './config';
export * from './logging';
export * from './service';
export * from './auth';
export * from './graphql';
export * from './ids';
