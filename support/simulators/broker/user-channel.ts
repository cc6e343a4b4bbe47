import { IncomingMessage, STATUS_CODES } from 'node:http';
import { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES, USER_CHANNEL_PATH } from '../../../domain/execution';
import { Target, errorAnswer, targetOf } from './answer';
import { HttpLog } from './http-log';
import { Gate, RequestAuthenticator } from './request-auth';
import { ServiceStatusSwitch } from './service-status';

function channelServer(): WebSocketServer {
  return new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
}

/** The authenticated WebSocket user channel: handshakes on the broker's HTTP port, and every open channel. */
export class UserChannel {
  private channels = channelServer();
  /** Sockets between 'upgrade' and a WebSocket (or a refusal), so stop() can close them too. */
  private readonly upgrading = new Set<Duplex>();

  constructor(
    private readonly auth: RequestAuthenticator,
    private readonly status: ServiceStatusSwitch,
    private readonly httpLog: HttpLog,
    private readonly welcomeFrame: () => string,
  ) {}

  get openChannels(): number {
    return [...this.channels.clients].filter(c => c.readyState === WebSocket.OPEN).length;
  }

  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const startedAt = performance.now();
    socket.on('error', () => undefined);
    this.upgrading.add(socket);
    socket.once('close', () => this.upgrading.delete(socket));
    const target = targetOf(req);
    const gate = this.upgradeGate(req, target);
    if (!gate.ok) return this.refuseUpgrade(socket, target, gate, startedAt);
    this.channels.handleUpgrade(req, socket, head, channel => {
      this.upgrading.delete(socket);
      this.httpLog.record(target, { status: 101 }, gate.key, performance.now() - startedAt);
      this.openChannel(channel);
    });
  }

  broadcast(text: string): void {
    for (const channel of this.channels.clients) {
      if (channel.readyState === WebSocket.OPEN) channel.send(text, () => undefined);
    }
  }

  /** Abrupt loss of every user channel: the sockets are destroyed without a close frame. */
  dropAll(): void {
    for (const channel of this.channels.clients) channel.terminate();
  }

  /** Handshakes still under way are cut off. */
  abortUpgrades(): void {
    for (const socket of this.upgrading) socket.destroy();
    this.upgrading.clear();
  }

  async close(): Promise<void> {
    await new Promise<void>(resolve => this.channels.close(() => resolve()));
    // A closed WebSocketServer refuses every handshake: a fresh one lets start() be called again (on a new port).
    this.channels = channelServer();
  }

  private upgradeGate(req: IncomingMessage, target: Target): Gate {
    if (target.pathname !== USER_CHANNEL_PATH) return { ok: false, answer: errorAnswer(404, 'NOT_FOUND', `no channel at ${target.pathname}`) };
    if (this.status.inMaintenance) return { ok: false, answer: this.status.maintenanceAnswer() };
    return this.auth.gate(req.headers, 'GET', target.pathWithQuery, '');
  }

  /** An HTTP answer written straight on the socket, as a venue refuses a WebSocket handshake. */
  private refuseUpgrade(socket: Duplex, target: Target, gate: Extract<Gate, { ok: false }>, startedAt: number): void {
    const { status, body, headers } = gate.answer;
    const lines = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      'connection: close',
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.once('finish', () => socket.destroy());
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
    this.httpLog.record(target, gate.answer, gate.key, performance.now() - startedAt);
  }

  private openChannel(channel: WebSocket): void {
    channel.on('error', () => undefined);
    // Clients have nothing to say on the user channel; frames over maxPayload close it with 1009.
    channel.on('message', () => undefined);
    channel.send(this.welcomeFrame(), () => undefined);
  }
}
