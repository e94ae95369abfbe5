// masto's documented flow: GET /api/v2/instance for `configuration.urls.streaming`, then
// `createStreamingAPIClient`, which opens `{streaming}/api/v1/streaming` offering the access
// token as the WebSocket subprotocol and sends `{"type":"subscribe","stream":"user"}`.
import { createRestAPIClient, createStreamingAPIClient } from 'masto';
import WebSocket from 'ws';
import { base, token, say, done } from './common.mjs';

const rest = createRestAPIClient({ url: base, accessToken: token });
const instance = await rest.v2.instance.fetch();
const me = await rest.v1.accounts.verifyCredentials();

// The library's own WebSocket (ws), watched: `ready` once the subscription is sent, with the
// subprotocol the server selected.
class Watched extends WebSocket {
  send(data, ...rest) {
    super.send(data, ...rest);
    if (String(data).includes('"subscribe"')) {
      say('ready', { protocol: this.protocol, streaming: instance.configuration.urls.streaming, me: me.acct });
    }
  }
}

const streaming = createStreamingAPIClient({
  streamingApiUrl: instance.configuration.urls.streaming,
  accessToken: token,
  implementation: Watched,
  retry: false,
});
try {
  for await (const event of streaming.user.subscribe()) {
    if (event.event !== 'update') continue;
    const status = event.payload;
    say('update', {
      stream: event.stream,
      id: status.id,
      content: status.content,
      acct: status.account.acct,
      visibility: status.visibility,
      created_at: status.createdAt,
      valid_date: !Number.isNaN(Date.parse(status.createdAt)),
    });
    streaming.close();
    done(0);
  }
} catch (err) {
  say('error', err && err.message ? err.message : String(err));
  done(1);
}
