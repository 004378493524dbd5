// Moved to @chat4all/common (the gateway checks membership the same way); kept so this subgraph's imports stay.
export { UsersSubgraphDirectory } from '@chat4all/common';
