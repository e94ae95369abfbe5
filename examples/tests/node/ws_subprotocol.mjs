// Node's `ws` against /api/v1/streaming, as browsers and ws-based clients open it. `ws` fails
// a handshake whose 101 names a subprotocol it did not offer, several of them, or none when
// it offered some. Three handshakes: the token as the only subprotocol; the token after
// another value; a query token with two unrelated values. Then `user` is subscribed on the
// second connection and the first update is reported.
import WebSocket from 'ws';
import { base, token, say, done } from './common.mjs';

const streaming = `${base.replace(/^http/, 'ws')}/api/v1/streaming`;

function open(url, protocols) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

try {
  const alone = await open(streaming, [token]);
  const second = await open(streaming, ['x-fedi-test', token]);
  const query = await open(`${streaming}?access_token=${encodeURIComponent(token)}`, ['x-first', 'x-second']);
  const selected = { alone: alone.protocol, second: second.protocol, query: query.protocol };
  alone.close();
  query.close();
  second.on('message', (data) => {
    const frame = JSON.parse(String(data));
    if (frame.event !== 'update') return;
    const status = JSON.parse(frame.payload);
    say('update', { stream: frame.stream, id: status.id, content: status.content, acct: status.account.acct });
    second.close();
    done(0);
  });
  second.send(JSON.stringify({ type: 'subscribe', stream: 'user' }));
  say('ready', selected);
} catch (err) {
  say('error', err && err.message ? err.message : String(err));
  done(1);
}
