import { createLogger } from '@chat4all/common';
import { GraphQLError } from 'graphql';
import { askPeer } from '../src/peers/ask';
import { PeerUnavailableError } from '../src/peers/port';

const log = createLogger('ask-test', 'silent');

describe('askPeer', () => {
  it('answers with what the peer answered', async () => {
    await expect(askPeer(log, async () => 42)).resolves.toBe(42);
  });

  it('turns a peer that cannot answer into UNAVAILABLE naming the service, without the cause', async () => {
    const refused = askPeer(log, () => Promise.reject(new PeerUnavailableError('users', 'connect ECONNREFUSED 10.0.0.7:4001')));
    const error = await refused.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error).toMatchObject({ message: 'could not reach the users service; try again', extensions: { code: 'UNAVAILABLE' } });
  });

  it('lets any other failure through as it is', async () => {
    const bug = new TypeError('not a peer problem');
    await expect(askPeer(log, () => Promise.reject(bug))).rejects.toBe(bug);
  });
});
