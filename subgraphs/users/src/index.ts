export * from './store/port';
export * from './store/mikro-orm';
export * from './store/migrate';
