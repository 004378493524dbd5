export * from './store/port';
export * from './store/s3';
export * from './store/migrate';
export * from './store/records';
export { contentKey, metadataKey } from './store/keys';
export * from './store/meter';
export * from './store/local-disk';
export * from './store/signed-blobs';
