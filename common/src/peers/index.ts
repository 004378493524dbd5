export * from './port';
export * from './lru';
export * from './entities';
export * from './membership';
export * from './users';
export * from './membership-changes';
