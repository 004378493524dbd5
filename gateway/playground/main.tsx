import 'graphiql/style.css';
import './playground.css';
import { GraphiQL } from 'graphiql';
import { StrictMode, useCallback, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { endpointsFor } from './endpoints';
import { createPlaygroundFetcher } from './fetcher';
import { SessionBar } from './session-bar';
import { loadSession, saveSession, type Session } from './session';

/** What a first visit shows in the editor (GraphiQL keeps the user's own tabs afterwards). */
const FIRST_QUERY = `# Chat4All playground
# 1. Log in (or register) above: every operation
#    then carries your token.
# 2. Run one operation at a time (▶ asks which).
# 3. A subscription keeps running in its tab: send
#    messages from a second browser tab and watch
#    their status change here.

mutation CreateConversation {
  createConversation(title: "hello", memberIds: []) { id title }
}

mutation SendMessage($conversationId: ID!) {
  sendMessage(conversationId: $conversationId, content: "hi there") { id status }
}

subscription MessageStatusChanged($conversationId: ID!) {
  messageStatusChanged(conversationId: $conversationId) {
    previousStatus
    message { id content status sender { displayName } }
  }
}
`;

function Playground() {
  const endpoints = useMemo(() => endpointsFor(window.location), []);
  const [session, setSession] = useState<Session | undefined>(() => loadSession(window.localStorage));
  // The fetcher reads the token at each call, so GraphiQL keeps one fetcher (a new one would re-fetch the schema).
  const token = useRef(session?.token);
  const { fetcher, resetSocket } = useMemo(() => createPlaygroundFetcher(endpoints, () => token.current), [endpoints]);

  const changeSession = useCallback(
    (next: Session | undefined) => {
      saveSession(window.localStorage, next);
      token.current = next?.token;
      // Subscriptions opened as someone else end with the old socket.
      resetSocket();
      setSession(next);
    },
    [resetSocket],
  );

  return (
    <div className="c4a-playground">
      <SessionBar endpoints={endpoints} session={session} onSession={changeSession} />
      <main className="c4a-graphiql">
        <GraphiQL fetcher={fetcher} defaultQuery={FIRST_QUERY} defaultEditorToolsVisibility="variables" shouldPersistHeaders={false}>
          <GraphiQL.Logo>Chat4All</GraphiQL.Logo>
        </GraphiQL>
      </main>
    </div>
  );
}

const root = document.getElementById('playground');
if (!root) throw new Error('the page has no #playground element');
createRoot(root).render(
  <StrictMode>
    <Playground />
  </StrictMode>,
);
