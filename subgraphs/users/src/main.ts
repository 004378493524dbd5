import { createKafkaBus, requireSchema, runServiceMain, verifyKafka } from '@chat4all/common';
import { configSchema } from './config';
import { activityTopics } from './events/activity';
import { startUsersService } from './server';
import { createPostgresUserRepository } from './store/mikro-orm';
import { verifyDatabase } from './store/migrate';

// Wiring only: engines from config, schema checked before anything is served, then the service itself.
runServiceMain({
  name: 'users',
  configSchema,
  async start(context) {
    const { config, log } = context;
    await requireSchema('database', () => verifyDatabase(config));
    await requireSchema('kafka', () => verifyKafka(config, activityTopics.consumes));

    const repository = await createPostgresUserRepository(config, { log });
    // Registered first, so closed last: after the consumer and the HTTP server have stopped using it.
    context.onShutdown('database', () => repository.close());
    const bus = createKafkaBus(config, log);
    context.onShutdown('event bus', () => bus.close());

    return startUsersService(context, { repository, bus, checkDatabase: () => repository.checkConnection() });
  },
});
