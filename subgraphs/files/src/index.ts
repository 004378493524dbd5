export * from './store/port';
export * from './store/s3';
export * from './store/migrate';
