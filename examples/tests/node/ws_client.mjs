// One WebSocket session with the `ws` package, reported on standard output as JSON lines:
//   {"kind":"upgrade","protocol":…}   the Sec-WebSocket-Protocol of the 101 (null when absent)
//   {"kind":"open","protocol":…}      what `ws` agreed to
//   {"kind":"pong","data":"fedi"}     the answer to our ping
//   {"kind":"close","code":…,"reason":…,"ms":…}  the server's close frame, and how long after
//                                     ours it arrived with the TCP connection closed
//   {"kind":"error","message":…}
// Usage: node ws_client.mjs URL OPTIONS_JSON, with OPTIONS {"protocols":[…],"closeCode":N,
// "closeReason":"…"}. Opens, pings, closes with closeCode, and exits when the socket is closed.
import WebSocket from 'ws';

const [url, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? '{}');
const report = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const ws = new WebSocket(url, options.protocols ?? []);
let closingSince = null;
ws.on('upgrade', (response) => {
  report({ kind: 'upgrade', protocol: response.headers['sec-websocket-protocol'] ?? null });
});
ws.on('open', () => {
  report({ kind: 'open', protocol: ws.protocol });
  ws.ping('fedi');
});
ws.on('pong', (data) => {
  report({ kind: 'pong', data: data.toString() });
  closingSince = Date.now();
  ws.close(options.closeCode ?? 1000, options.closeReason ?? '');
});
ws.on('error', (error) => report({ kind: 'error', message: error.message }));
ws.on('close', (code, reason) => {
  report({
    kind: 'close',
    code,
    reason: reason.toString(),
    ms: closingSince === null ? null : Date.now() - closingSince,
  });
  process.exit(0);
});
