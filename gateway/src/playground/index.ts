export { buildPlaygroundAssets, PLAYGROUND_SOURCE_DIR, type PlaygroundAssets } from './assets';
export { createPlaygroundHandler, PLAYGROUND_PATH } from './handler';
