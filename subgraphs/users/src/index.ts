export * from './store/port';
export * from './store/mikro-orm';
export * from './store/migrate';
export * from './store/open';
export { usersService, startUsersService, createUsersSubgraph } from './server';
