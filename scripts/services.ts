/**
 * What `npm start` runs, in start order, each as `node --import tsx <entry>` on the shared bootstrap.
 * The platform simulators stand in for WhatsApp's and Instagram's APIs; point the connectors at the real
 * platforms (`*_API_URL`, `*_TOKEN`, `*_APP_SECRET`) and leave the simulators out to go live.
 */
export const services = [
  { name: 'users', entry: 'subgraphs/users/src/main.ts', port: 4001 },
  { name: 'messages', entry: 'subgraphs/messages/src/main.ts', port: 4002 },
  { name: 'files', entry: 'subgraphs/files/src/main.ts', port: 4003 },
  { name: 'router', entry: 'workers/router/src/main.ts', port: 4010 },
  { name: 'whatsapp', entry: 'connectors/whatsapp/src/main.ts', port: 4011 },
  { name: 'instagram', entry: 'connectors/instagram/src/main.ts', port: 4012 },
  { name: 'whatsapp-simulator', entry: 'connectors/whatsapp/src/simulator/main.ts', port: 4021 },
  { name: 'instagram-simulator', entry: 'connectors/instagram/src/simulator/main.ts', port: 4022 },
  { name: 'gateway', entry: 'gateway/src/main.ts', port: 4000 },
] as const;
