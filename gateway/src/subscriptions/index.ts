export { createSubscriptionServer, type SubscriptionServer } from './ws';
export { startKafkaFeed, type KafkaFeed } from './feed';
export { FanOut, type LiveEvent } from './fanout';
export { BoundedQueue } from './queue';
export { encodeCursor, decodeCursor, type EventPosition } from './cursor';
export { CLOSE_TOO_SLOW } from './context';
export type { SubscriptionContext } from './context';
export { EventResolver, type ResolutionMetrics } from './resolve';
export { SubscriptionPlanner } from './plan';
