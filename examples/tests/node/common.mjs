// Shared by the client scripts: the hub to talk to, and the line protocol the Rust test reads.
//
// Every script prints one line per step on standard output: `ready …` once its client is
// connected (and subscribed), `update {json}` for each status it receives (the fields as the
// library hands them over), `error …` when the library reports a failure. It exits after the
// first update, or with status 1 after 60 s.

export const base = process.env.HUB_BASE;
export const token = process.env.HUB_TOKEN;
if (!base || !token) {
  console.error('set HUB_BASE and HUB_TOKEN');
  process.exit(2);
}

export function say(kind, value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  process.stdout.write(`${kind} ${text}\n`);
}

export function done(code = 0) {
  // Let stdout drain before leaving.
  process.stdout.write('', () => process.exit(code));
}

setTimeout(() => {
  say('error', 'no update within 60 s');
  done(1);
}, 60_000).unref();
