/** Our services, in start order: each runs `<dir>/src/main.ts` on the shared bootstrap. */
export const services = [
  { name: 'users', dir: 'subgraphs/users', port: 4001 },
  { name: 'messages', dir: 'subgraphs/messages', port: 4002 },
  { name: 'files', dir: 'subgraphs/files', port: 4003 },
  { name: 'router', dir: 'workers/router', port: 4010 },
  { name: 'whatsapp', dir: 'connectors/whatsapp', port: 4011 },
  { name: 'instagram', dir: 'connectors/instagram', port: 4012 },
  { name: 'gateway', dir: 'gateway', port: 4000 },
] as const;
