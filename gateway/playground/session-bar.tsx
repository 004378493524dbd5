import { useState, type FormEvent } from 'react';
import type { Endpoints } from './endpoints';
import { logIn, register, type Session } from './session';

interface Props {
  endpoints: Endpoints;
  session: Session | undefined;
  onSession: (session: Session | undefined) => void;
}

/** Above GraphiQL: a login (or registration) form, or who is logged in and a way out. */
export function SessionBar({ endpoints, session, onSession }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = (how: typeof logIn) => async (event?: FormEvent) => {
    event?.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      onSession(await how(endpoints, username, password));
      setPassword('');
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  if (session) {
    return (
      <header className="c4a-bar" data-testid="session">
        <strong className="c4a-brand">Chat4All</strong>
        <span>
          Logged in as <b data-testid="session-user">{session.username}</b>; queries, mutations and subscriptions carry its token
          {session.expiresAt && ` (until ${new Date(session.expiresAt).toLocaleTimeString()})`}.
        </span>
        <button type="button" onClick={() => onSession(undefined)}>
          Log out
        </button>
      </header>
    );
  }
  return (
    <header className="c4a-bar">
      <strong className="c4a-brand">Chat4All</strong>
      <form className="c4a-login" onSubmit={(event) => void submit(logIn)(event)}>
        <input name="username" aria-label="username" placeholder="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        <input name="password" aria-label="password" placeholder="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" disabled={busy}>
          Log in
        </button>
        <button type="button" disabled={busy || !username || !password} onClick={() => void submit(register)()}>
          Register
        </button>
      </form>
      {problem ? (
        <span className="c4a-problem" role="alert">
          {problem}
        </span>
      ) : (
        <span className="c4a-hint">Log in to send your token with every request and subscription.</span>
      )}
    </header>
  );
}
