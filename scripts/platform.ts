import type { z } from 'zod';
import type { Env, ServiceDefinition, ServiceEntry } from '@chat4all/common';
import { instagramService, instagramSimulatorService } from '@chat4all/instagram';
import { whatsappService, whatsappSimulatorService } from '@chat4all/whatsapp';
import { filesService } from '@chat4all/files';
import { gatewayService } from '@chat4all/gateway';
import { messagesService } from '@chat4all/messages';
import { routerService } from '@chat4all/router';
import { usersService } from '@chat4all/users';
import { services, type ServiceName } from './services';

/** The same service definitions each `main.ts` runs. */
const definitions: Record<ServiceName, () => ServiceDefinition<z.ZodObject>> = {
  'whatsapp-simulator': () => whatsappSimulatorService(),
  'instagram-simulator': () => instagramSimulatorService(),
  users: () => usersService(),
  messages: () => messagesService(),
  files: () => filesService(),
  router: () => routerService(),
  whatsapp: () => whatsappService(),
  instagram: () => instagramService(),
  gateway: () => gatewayService,
};

export type PlatformPorts = Record<ServiceName, number>;

/** The usual ports, each moved by `offset` (tests run the platform at 14000… beside a development one at 4000…). */
export function platformPorts(offset = 0): PlatformPorts {
  return Object.fromEntries(services.map((s) => [s.name, s.port + offset])) as PlatformPorts;
}

/** Where the services find each other on these ports (each service reads only its own keys). */
export function platformLinks(ports: PlatformPorts): Env {
  const at = (name: ServiceName, path = '') => `http://127.0.0.1:${ports[name]}${path}`;
  return {
    SUBGRAPH_USERS_URL: at('users', '/graphql'),
    SUBGRAPH_MESSAGES_URL: at('messages', '/graphql'),
    SUBGRAPH_FILES_URL: at('files', '/graphql'),
    FILES_PUBLIC_URL: at('files'),
    WHATSAPP_API_URL: at('whatsapp-simulator'),
    WHATSAPP_WEBHOOK_URL: at('whatsapp', '/webhook'),
    INSTAGRAM_API_URL: at('instagram-simulator'),
    INSTAGRAM_WEBHOOK_URL: at('instagram', '/webhook'),
  };
}

/**
 * Every service of the platform as entries for `startServices`/`runServicesMain`, in start order (`services.ts`). A link
 * the caller's environment sets itself wins (e.g. `WHATSAPP_API_URL` of the real platform when the simulators are left
 * out, or a public `FILES_PUBLIC_URL`); `PORT` is always each service's own.
 */
export function platformEntries(ports: PlatformPorts, only?: readonly ServiceName[], set: Env = {}): ServiceEntry[] {
  const links = Object.fromEntries(Object.entries(platformLinks(ports)).filter(([name]) => !set[name]));
  return services
    .filter((s) => !only || only.includes(s.name))
    .map((s) => ({ definition: definitions[s.name](), env: { ...links, PORT: String(ports[s.name]) } }));
}
