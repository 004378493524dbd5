// `npm start`: the whole platform in this one node process on the embedded adapters (no Docker, JVM or database
// server): gateway, three subgraphs, router, both connectors and both platform simulators on their usual ports, data in
// CHAT4ALL_DATA_DIR (default .local/data). Prints one line when ready; Ctrl-C drains everything and exits 0.
// `npm run start:local` runs the real engines instead, one process per service.
import { z } from 'zod';
import { ConfigError, embeddedDataDir, env as field, loadConfig, runServicesMain, serviceEnv } from '@chat4all/common';
import { PLAYGROUND_PATH, graphqlToggles, loadServiceConfig as loadGatewayConfig } from '@chat4all/gateway';
import { platformEntries, platformPorts } from './platform';
import { services } from './services';

const names = services.map((s) => s.name);
const startEnv = z.object({
  CHAT4ALL_DATA_DIR: serviceEnv.CHAT4ALL_DATA_DIR,
  /** Moves every port by this much (the tests run the platform at 14000…). */
  CHAT4ALL_PORT_OFFSET: field.int(0, 0),
  /** Runs only these services, e.g. without the simulators when the connectors talk to the real platforms. */
  CHAT4ALL_SERVICES: field.list(names.join(',')).pipe(z.array(z.enum(names))),
});

const env: NodeJS.ProcessEnv = {
  CHAT4ALL_PROFILE: 'embedded',
  // One process, nine services, one terminal: warnings and errors only, unless asked (LOG_LEVEL=info).
  LOG_LEVEL: 'warn',
  ...process.env,
};
delete env.PORT; // each service gets its own

let options: z.infer<typeof startEnv>;
try {
  options = loadConfig(startEnv, env);
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}
const ports = platformPorts(options.CHAT4ALL_PORT_OFFSET);

runServicesMain(platformEntries(ports, options.CHAT4ALL_SERVICES, env), {
  env,
  onReady: () => {
    const gateway = `http://127.0.0.1:${ports.gateway}`;
    // The gateway's own toggle decides whether it serves the playground (on unless production or PLAYGROUND_ENABLED=false).
    const playground = graphqlToggles(loadGatewayConfig(env)).playground ? `playground at ${gateway}${PLAYGROUND_PATH}, ` : '';
    process.stdout.write(
      `Chat4All is ready in ${process.uptime().toFixed(1)} s (${env.CHAT4ALL_PROFILE}, data in ${embeddedDataDir(options, '.')}): ` +
        `${playground}GraphQL at ${gateway}/graphql — Ctrl-C stops everything\n`,
    );
  },
});
