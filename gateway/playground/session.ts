import type { Endpoints } from './endpoints';

/** Who is logged in to the playground: the token is sent as `Authorization: Bearer <token>` over HTTP and graphql-ws. */
export interface Session {
  username: string;
  token: string;
  /** When the token expires (ms since the epoch), from its `exp` claim; undefined when it has none. */
  expiresAt: number | undefined;
}

// localStorage, so every playground tab of this browser shares the login; cleared by "Log out" or once it expires.
const STORAGE_KEY = 'chat4all.playground.session';

function expiryOf(token: string): number | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function isLive(session: Session): boolean {
  return session.expiresAt === undefined || session.expiresAt > Date.now();
}

export function loadSession(storage: Storage): Session | undefined {
  try {
    const stored = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null') as Partial<Session> | null;
    if (!stored || typeof stored.username !== 'string' || typeof stored.token !== 'string') return undefined;
    const session: Session = { username: stored.username, token: stored.token, expiresAt: expiryOf(stored.token) };
    return isLive(session) ? session : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(storage: Storage, session: Session | undefined): void {
  if (session) storage.setItem(STORAGE_KEY, JSON.stringify({ username: session.username, token: session.token }));
  else storage.removeItem(STORAGE_KEY);
}

/** `POST /token` (form fields), the gateway's password login. */
export async function logIn(endpoints: Endpoints, username: string, password: string): Promise<Session> {
  const response = await fetch(endpoints.token, { method: 'POST', body: new URLSearchParams({ username, password }) });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; detail?: string };
  if (!response.ok || !body.access_token) throw new Error(body.detail ?? `login failed (HTTP ${response.status})`);
  return { username, token: body.access_token, expiresAt: expiryOf(body.access_token) };
}

const REGISTER = 'mutation Register($username: String!, $password: String!) { register(username: $username, password: $password) { token } }';

/** The `register` mutation: a new account, logged in at once. */
export async function register(endpoints: Endpoints, username: string, password: string): Promise<Session> {
  const response = await fetch(endpoints.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: REGISTER, variables: { username, password } }),
  });
  const body = (await response.json().catch(() => ({}))) as { data?: { register?: { token?: string } }; errors?: { message: string }[] };
  const token = body.data?.register?.token;
  if (!token) throw new Error(body.errors?.[0]?.message ?? `registration failed (HTTP ${response.status})`);
  return { username, token, expiresAt: expiryOf(token) };
}
