import net from 'node:net';

export function isWritable(socket: net.Socket): boolean {
  return !socket.destroyed && !socket.writableEnded;
}

/** FIN after the unsent bytes, then let go of the socket once they are out. */
export function closeGracefully(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) {
    socket.destroy();
    return;
  }
  if (!socket.writableEnded) socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}

/** RST: the peer sees ECONNRESET and its unread data is discarded, as with a real "connection reset by peer". */
export function resetHard(socket: net.Socket): void {
  // Still connecting, Node resets on 'connect' (the broker may have accepted already); a failed dial errors out alone.
  if (!socket.destroyed) socket.resetAndDestroy();
}

/** Resolves after the loop's next close phase: server.close()'s callback fires before libuv has released the handle. */
export function handlesReleased(): Promise<void> {
  return new Promise<void>(resolve => setImmediate(() => setImmediate(resolve)));
}
