// How `npm start` wires its services together (scripts/platform.ts): its links, and the caller's own settings winning.
import { platformEntries, platformLinks, platformPorts } from '../scripts/platform';

const ports = platformPorts(10_000);
/** A service's environment as the runner builds it: the caller's, then the entry's on top (common/src/service/runner.ts). */
const envOf = (name: string, set: Record<string, string> = {}) => {
  const entry = platformEntries(ports, undefined, set).find((e) => e.definition.name === name);
  if (!entry) throw new Error(`no ${name} entry`);
  return { ...set, ...entry.env };
};

describe('npm start wiring', () => {
  it('points every service at the others on the moved ports, each on its own port', () => {
    expect(envOf('gateway')).toMatchObject({ PORT: '14000', SUBGRAPH_USERS_URL: 'http://127.0.0.1:14001/graphql', SUBGRAPH_FILES_URL: 'http://127.0.0.1:14003/graphql' });
    expect(envOf('whatsapp')).toMatchObject({ PORT: '14011', WHATSAPP_API_URL: 'http://127.0.0.1:14021' });
    expect(envOf('files').FILES_PUBLIC_URL).toBe('http://127.0.0.1:14003');
  });

  it('lets a link the caller sets win (a real platform, a public download host), never PORT', () => {
    const set = { WHATSAPP_API_URL: 'https://graph.example.com', FILES_PUBLIC_URL: 'https://files.example.com', PORT: '9999' };
    expect(envOf('whatsapp', set)).toMatchObject({ WHATSAPP_API_URL: 'https://graph.example.com', PORT: '14011' });
    expect(envOf('files', set)).toMatchObject({ FILES_PUBLIC_URL: 'https://files.example.com', PORT: '14003' });
    // What the caller did not set still comes from the platform.
    expect(envOf('whatsapp', set).WHATSAPP_WEBHOOK_URL).toBe(platformLinks(ports).WHATSAPP_WEBHOOK_URL);
    // An empty value is not a setting.
    expect(envOf('gateway', { SUBGRAPH_USERS_URL: '' }).SUBGRAPH_USERS_URL).toBe('http://127.0.0.1:14001/graphql');
  });
});
