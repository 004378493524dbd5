export * from './errors';
export * from './http-handler';
export * from './subgraph';
export * from './uploads';
export * from './datetime';
