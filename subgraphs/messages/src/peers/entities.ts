// Moved to @chat4all/common (the gateway checks membership the same way); kept so this subgraph's imports stay.
export { entityField, fetchEntities, type PeerOptions } from '@chat4all/common';
