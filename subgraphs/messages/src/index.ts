export type { MessageStore } from './store/port';
export type { Channel, ListOptions, Message, MessagePage, MessageStatus, NewMessage, StatusTransition } from './store/types';
export { CassandraMessageStore, type CassandraMessageStoreOptions } from './store/cassandra';
export { CONSISTENCY_LEVELS, cassandraStoreEnv, type ConsistencyLevel } from './store/client';
export { migrateCassandra, verifyCassandra } from './store/migrate';
export { newMessageId, messageIdTime, isMessageId, InvalidMessageIdError } from './store/ids';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, InvalidCursorError, InvalidPageSizeError } from './store/pagination';
