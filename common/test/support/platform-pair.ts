import pino from 'pino';
import { Registry } from 'prom-client';
import { MessageStatusChanged, decodeEvent } from '../../src/contracts/events';
import { TOPICS } from '../../src/contracts/topics';
import { ConnectorMetrics, ReplayGuard, WebhookReceiver, type ChannelConnector, type PlatformMessageRefs } from '../../src/connector';
import { PlatformSimulator, seededRandom, type SimulatedPlatform, type SimulatorOptions } from '../../src/connector/simulator';
import { RecordingBus } from './recording-bus';
import { serve } from './http';

export interface PairOptions {
  platform: SimulatedPlatform;
  /** The connector under test, pointed at the simulator's base URL. */
  connector(apiUrl: string): ChannelConnector;
  token: string;
  appSecret: string;
  refs?: PlatformMessageRefs;
  simulator?: Partial<Omit<SimulatorOptions, 'token' | 'appSecret' | 'webhookUrl' | 'log'>>;
  replayWindowMs?: number;
}

/**
 * A connector's webhook receiver and a platform simulator, each on its own HTTP port in this process, wired to each
 * other as in production; status events land on a recording bus.
 */
export async function startPlatformPair(options: PairOptions) {
  const log = pino({ level: 'silent' });
  const bus = new RecordingBus();
  const registry = new Registry();
  // The receiver needs the connector, which needs the simulator's URL, which needs the receiver's URL: set below.
  const wired: { receiver?: WebhookReceiver } = {};
  const receiverServer = await serve((req, res) => {
    if (!wired.receiver) throw new Error('receiver not ready');
    wired.receiver.handler(req, res);
  });
  const webhookUrl = `${receiverServer.url}/webhook`;
  const simulatorOptions: SimulatorOptions = {
    token: options.token,
    appSecret: options.appSecret,
    webhookUrl,
    latencyMinMs: 0,
    latencyMaxMs: 2,
    failureRate: 0,
    failedStatusRate: 0,
    deliveredAfterMs: 0,
    readAfterMs: 0,
    webhookMaxAttempts: 20,
    webhookRetryMaxMs: 50,
    random: seededRandom(7),
    log,
    ...options.simulator,
  };
  let simulator: PlatformSimulator;
  try {
    simulator = new PlatformSimulator(options.platform, simulatorOptions);
  } catch (error) {
    await receiverServer.close();
    throw error;
  }
  const simulatorServer = await serve(simulator.handler);
  const connector = options.connector(simulatorServer.url);
  wired.receiver = new WebhookReceiver({
    connector,
    ...(options.refs ? { refs: options.refs } : {}),
    guard: new ReplayGuard({ windowMs: options.replayWindowMs ?? 300_000, maxEntries: 10_000 }),
    bus,
    source: `connector-${connector.channel.toLowerCase()}`,
    maxBodyBytes: 64 * 1024,
    metrics: new ConnectorMetrics(registry),
    log,
  });
  return {
    connector,
    simulator,
    bus,
    registry,
    webhookUrl,
    apiUrl: simulatorServer.url,
    /** Status events published so far, in order. */
    statuses: () => bus.on(TOPICS.messagesStatus).map((r) => ({ key: r.key, ...decodeEvent(MessageStatusChanged, r.value as Buffer) })),
    close: async () => {
      await simulator.close();
      await Promise.all([simulatorServer.close(), receiverServer.close()]);
    },
  };
}

export type PlatformPair = Awaited<ReturnType<typeof startPlatformPair>>;

/** POSTs a raw body to the webhook with the given headers; returns the HTTP status. */
export async function postWebhook(url: string, raw: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
  await response.arrayBuffer();
  return response.status;
}
