// Follows an event stream with the npm `eventsource` package, which reconnects by itself
// (honouring `retry:`, sending `Last-Event-ID` when it has recorded one). Reports on standard
// output as JSON lines: {"kind":"open"}, {"kind":"error"}, and every `meta` or `inbox` event as
// {"kind":"meta"|"inbox","id":lastEventId,"data":…}. Usage: node sse_client.mjs URL. Runs until
// standard input closes.
import { EventSource } from 'eventsource';

const [url] = process.argv.slice(2);
const report = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const source = new EventSource(url);
source.addEventListener('open', () => report({ kind: 'open' }));
source.addEventListener('error', (event) =>
  report({ kind: 'error', message: String(event.message ?? '') }),
);
for (const kind of ['meta', 'inbox']) {
  source.addEventListener(kind, (event) => report({ kind, id: event.lastEventId, data: event.data }));
}
process.stdin.on('end', () => {
  source.close();
  process.exit(0);
});
process.stdin.resume();
