/**
 * What `npm start` (one process, embedded) and `npm run start:local` (a process each, `node --import tsx <entry>`) run,
 * in start order; they stop in reverse (the gateway first, the simulators last).
 * The platform simulators stand in for WhatsApp's and Instagram's APIs; point the connectors at the real
 * platforms (`*_API_URL`, `*_TOKEN`, `*_APP_SECRET`) and leave the simulators out to go live.
 */
export const services = [
  { name: 'whatsapp-simulator', entry: 'connectors/whatsapp/src/simulator/main.ts', port: 4021 },
  { name: 'instagram-simulator', entry: 'connectors/instagram/src/simulator/main.ts', port: 4022 },
  { name: 'users', entry: 'subgraphs/users/src/main.ts', port: 4001 },
  { name: 'messages', entry: 'subgraphs/messages/src/main.ts', port: 4002 },
  { name: 'files', entry: 'subgraphs/files/src/main.ts', port: 4003 },
  { name: 'router', entry: 'workers/router/src/main.ts', port: 4010 },
  { name: 'whatsapp', entry: 'connectors/whatsapp/src/main.ts', port: 4011 },
  { name: 'instagram', entry: 'connectors/instagram/src/main.ts', port: 4012 },
  { name: 'gateway', entry: 'gateway/src/main.ts', port: 4000 },
] as const;

export type ServiceName = (typeof services)[number]['name'];
