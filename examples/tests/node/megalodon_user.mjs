// megalodon's own discovery: `userStreaming()` reads GET /api/v1/instance for
// `urls.streaming_api`, then opens `{streaming_api}/api/v1/streaming?stream=user&access_token=…`.
import generator from 'megalodon';
import { base, token, say, done } from './common.mjs';

const client = generator('mastodon', base, token);
const stream = await client.userStreaming();
stream.on('connect', () => say('ready', 'connected'));
stream.on('update', (status) => {
  say('update', {
    id: status.id,
    content: status.content,
    acct: status.account.acct,
    visibility: status.visibility,
    created_at: status.created_at,
    valid_date: !Number.isNaN(Date.parse(status.created_at)),
  });
  stream.stop();
  done(0);
});
for (const kind of ['error', 'parser-error']) {
  stream.on(kind, (err) => say('error', `${kind}: ${err && err.message ? err.message : err}`));
}
