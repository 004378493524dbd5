import { setTimeout as sleep } from 'node:timers/promises';
import { badUserInput, conflict, forbidden, notFound, unavailable, type EventBus, type Logger } from '@chat4all/common';
import type { ClaimedMessage, SendClaimStore } from '../claims/port';
import { acceptedEvent, publishAccepted } from '../events/accepted';
import type { Membership } from '../peers/membership';
import { askPeer } from '../peers/ask';
import type { FileDirectory } from '../peers/port';
import { messageIdTime, newMessageId } from '../store/ids';
import type { MessageStore } from '../store/port';
import type { Message, NewMessage } from '../store/types';
import { validateSend, type SendInput, type SendLimits, type ValidSend } from './validate';

export interface SenderOptions extends SendLimits {
  /** How long a send holding a client message id may take to produce before a retry takes the claim over. */
  claimLeaseMs: number;
}

export interface SenderDeps {
  store: MessageStore;
  claims: SendClaimStore;
  bus: EventBus;
  membership: Membership;
  files: FileDirectory;
  log: Logger;
  options: SenderOptions;
}

/** Longest pause between two looks at a claim another request holds. */
const MAX_POLL_MS = 250;

/**
 * `sendMessage`: checks the caller may send, gives the message a time-ordered id, produces `MessageAccepted` (the
 * message is accepted once Kafka has it), then stores a copy for read-your-writes. With a client message id the pair
 * (sender, clientMessageId) is claimed first, so retries, even concurrent ones, return one message and produce one event.
 */
export class MessageSender {
  constructor(private readonly deps: SenderDeps) {}

  async send(senderId: string, input: SendInput): Promise<Message> {
    const send = validateSend(input, this.deps.options);
    await this.authorize(senderId, send);
    const id = newMessageId();
    const message: NewMessage = { id, conversationId: send.conversationId, senderId, createdAt: new Date(messageIdTime(id)) };
    if (send.content !== undefined) message.content = send.content;
    if (send.fileId !== undefined) message.fileId = send.fileId;
    if (send.clientMessageId === undefined) return this.accept(message);
    const { id: messageId, ...rest } = message;
    return this.acceptOnce({ ...rest, messageId, clientMessageId: send.clientMessageId });
  }

  /** FORBIDDEN for non-members (also when the conversation does not exist: the answer reveals nothing). */
  private async authorize(senderId: string, send: ValidSend): Promise<void> {
    const member = await askPeer(this.deps.log, () => this.deps.membership.isMember(send.conversationId, senderId));
    if (!member) throw forbidden('you are not a member of this conversation');
    const { fileId } = send;
    if (fileId !== undefined) {
      const [owner] = await askPeer(this.deps.log, () => this.deps.files.ownerIds([fileId]));
      // Someone else's file reads exactly like a missing one, so file ids cannot be probed.
      if (owner !== senderId) throw notFound('file not found');
    }
  }

  private async acceptOnce(proposal: ClaimedMessage): Promise<Message> {
    const { claims, log, options } = this.deps;
    // A live lease is never longer than claimLeaseMs; once it runs out, `claim` takes it over.
    const deadline = Date.now() + options.claimLeaseMs + 1_000;
    for (let pause = 20; ; pause = Math.min(pause * 2, MAX_POLL_MS)) {
      const outcome = await claims.claim(proposal, options.claimLeaseMs);
      if (!sameMessage(outcome.claim, proposal)) {
        // The pair names another message: answering with it would drop this one while telling the client it was sent.
        if (outcome.kind === 'claimed') await claims.release(outcome.lease).catch((e: unknown) => log.warn({ err: e }, 'could not release send claim'));
        throw badUserInput('clientMessageId was used for another message (another conversation, content or file); a new message needs a new one', 'clientMessageId');
      }
      if (outcome.kind === 'produced') return this.stored(outcome.claim);
      if (outcome.kind === 'claimed') {
        const message = toNewMessage(outcome.claim);
        try {
          await publishAccepted(this.deps.bus, acceptedEvent(message));
        } catch (error) {
          // Hand the pair to the client's retry at once; it will produce this same message id.
          await claims.release(outcome.lease).catch((e: unknown) => log.warn({ err: e, messageId: message.id }, 'could not release send claim'));
          throw this.notAccepted(error, message);
        }
        // If this fails the claim stays CLAIMED; a retry after the lease re-produces the same id (consumers dedupe by id).
        await claims.markProduced(outcome.lease).catch((e: unknown) => log.warn({ err: e, messageId: message.id }, 'could not mark send claim produced'));
        await this.storeCopy(message);
        return sent(message);
      }
      if (Date.now() >= deadline) throw conflict('a send with this clientMessageId is still in progress; retry shortly');
      await sleep(pause);
    }
  }

  private async accept(message: NewMessage): Promise<Message> {
    try {
      await publishAccepted(this.deps.bus, acceptedEvent(message));
    } catch (error) {
      throw this.notAccepted(error, message);
    }
    await this.storeCopy(message);
    return sent(message);
  }

  /** The answer for a send that was produced before: the stored message (with its current status) when it is there. */
  private async stored(claim: ClaimedMessage): Promise<Message> {
    const found = await this.deps.store.get(claim.messageId).catch((error: unknown) => {
      this.deps.log.warn({ err: error, messageId: claim.messageId }, 'could not read a retried message; answering from its claim');
      return null;
    });
    return found ?? sent(toNewMessage(claim));
  }

  /** Same row the router writes from the event; only a convenience, so a failure is logged, not returned. */
  private async storeCopy(message: NewMessage): Promise<void> {
    try {
      await this.deps.store.insert(message);
    } catch (error) {
      this.deps.log.warn({ err: error, messageId: message.id }, 'accepted message not stored by the subgraph; the router will store it');
    }
  }

  private notAccepted(error: unknown, message: NewMessage) {
    this.deps.log.error({ err: error, messageId: message.id, conversationId: message.conversationId }, 'MessageAccepted not produced');
    const retry = message.clientMessageId === undefined ? 'retry' : 'retry with the same clientMessageId';
    return unavailable(`message not accepted: the event bus did not confirm it; ${retry}`);
  }
}

/** Whether a claim and a send are one message: a retry sends the same conversation, content and file again. */
function sameMessage(claim: ClaimedMessage, send: ClaimedMessage): boolean {
  return claim.conversationId === send.conversationId && claim.content === send.content && claim.fileId === send.fileId;
}

function toNewMessage(m: ClaimedMessage): NewMessage {
  const message: NewMessage = {
    id: m.messageId,
    conversationId: m.conversationId,
    senderId: m.senderId,
    clientMessageId: m.clientMessageId,
    createdAt: m.createdAt,
  };
  if (m.content !== undefined) message.content = m.content;
  if (m.fileId !== undefined) message.fileId = m.fileId;
  return message;
}

/** A message just accepted: SENT at its creation time. */
function sent(message: NewMessage): Message {
  return { ...message, status: 'SENT', statusHistory: [{ status: 'SENT', at: message.createdAt }] };
}
