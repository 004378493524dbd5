import type http from 'node:http';
import type { Logger } from '@chat4all/common';
import { sendJson } from './json';

export type LoginOutcome = { ok: true; token: string } | { ok: false; reason: 'credentials' | 'unavailable'; message: string };

/** Runs the `login` mutation for a username and password. */
export type Login = (username: string, password: string) => Promise<LoginOutcome>;

const MAX_FORM_BYTES = 16 * 1024;

/** The whole (small) form body, or undefined once it passes the limit (the rest is read and dropped). */
function readForm(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd);
      // Keep the stream flowing so the refusal still reaches the client.
      req.resume();
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
    req.on('data', onData).on('end', onEnd).once('error', reject);
  });
}

/**
 * `POST /token`, the original system's OAuth2-style password login: form fields `username` and
 * `password` (application/x-www-form-urlencoded) → `{ access_token, token_type: "bearer" }`.
 * 400 when a field is missing, 401 on wrong credentials, 502 when the users subgraph cannot answer.
 */
export function createTokenHandler(login: Login, log: Logger): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  return async (req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      return sendJson(res, 405, { detail: 'use POST with username and password as form fields' }, { allow: 'POST' });
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const body = await readForm(req);
    if (body === undefined) return sendJson(res, 413, { detail: `the form is larger than ${MAX_FORM_BYTES} bytes` });
    if (type !== 'application/x-www-form-urlencoded') {
      return sendJson(res, 400, { detail: 'expected an application/x-www-form-urlencoded body with username and password' });
    }
    const form = new URLSearchParams(body);
    const username = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    const missing = [username ? '' : 'username', password ? '' : 'password'].filter(Boolean);
    if (missing.length > 0) return sendJson(res, 400, { detail: `missing form field(s): ${missing.join(', ')}` });

    const outcome = await login(username, password);
    if (outcome.ok) return sendJson(res, 200, { access_token: outcome.token, token_type: 'bearer' }, { 'cache-control': 'no-store' });
    if (outcome.reason === 'credentials') {
      return sendJson(res, 401, { detail: 'incorrect username or password' }, { 'www-authenticate': 'Bearer' });
    }
    // The cause (an address, a stack) stays in the logs.
    log.error({ cause: outcome.message }, '/token: login failed upstream');
    return sendJson(res, 502, { detail: 'login is temporarily unavailable' });
  };
}
