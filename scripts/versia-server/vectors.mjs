// versia-server's request signing, for versia-ws's interop vectors and live test.
//
//   scripts/versia-server/node_modules/.bin/bun scripts/versia-server/vectors.mjs generate \
//       > versia-ws/tests/data/versia-server/vectors.json
//   bun scripts/versia-server/vectors.mjs check < requests.json        (the live tests' helpers)
//   bun scripts/versia-server/vectors.mjs sign < requests.json
//
// versia-server signs and verifies in its SDK, `packages/sdk/crypto.ts` of versia-pub/server.
// That SDK is not published on the npm registry, so this script performs the same steps with the
// same platform functions that file calls, as of commit fca30b4dad2175ddd08bacaf577a9c94f6860b01
// (the last change to the file; unchanged up to 14bb2676599fc948a10b18981347725c08957789):
//
//   body      = await request.clone().text()          (Fetch: UTF-8 decode, BOM dropped, U+FFFD)
//   digest    = base64(SHA-256(TextEncoder.encode(body)))      (WebCrypto `digest`)
//   path      = encodeURI(new URL(request.url).pathname)       (WHATWG URL, ECMAScript encodeURI)
//   signed    = `${request.method.toLowerCase()} ${path} ${seconds} ${digest}`
//   signature = base64(Ed25519 sign(private key, TextEncoder.encode(signed)))   (WebCrypto)
//
// and verification rebuilds `signed` from the request and its `Versia-Signed-At` header and runs
// WebCrypto's Ed25519 verify. The only substitution: the SDK's `Uint8Array#toBase64` and
// `Uint8Array.fromBase64` (missing from Node 20) are Buffer's base64, the same standard padded
// alphabet.
//
// Run it on Bun, the runtime versia-server runs on (its package.json asks for Bun >= 1.2.5),
// pinned by ./package.json and ./package-lock.json (`npm ci` here, as scripts/setup/versia-server.sh
// does). It also runs on Node 20 or newer, with one difference: Node 20's URL parser leaves `^`
// in a path as it is, while Bun's, like the current URL Standard, percent-encodes it.
//
// `generate` writes the vectors (fixed key, fixed time, fixed requests) as JSON on standard
// output. `check` reads a JSON array of {method, url, body_base64, signed_at, signature,
// public_key} and answers, for each, versia-server's signed string and its verify verdict.
// `sign` reads a JSON array of {method, url, body_base64, signed_at, private_key} and answers,
// for each, versia-server's signed string and signature.

import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey } from "node:crypto";

const { subtle } = globalThis.crypto;

const toBase64 = (bytes) => Buffer.from(bytes).toString("base64");
const fromBase64 = (text) => new Uint8Array(Buffer.from(text, "base64"));

async function bodyDigest(request) {
    const text = await request.clone().text();
    const hash = await subtle.digest("SHA-256", new TextEncoder().encode(text));
    return toBase64(new Uint8Array(hash));
}

/** versia-server's signed string for `request` at `seconds`. */
async function signedString(request, seconds) {
    const pathname = new URL(request.url).pathname;
    return `${request.method.toLowerCase()} ${encodeURI(pathname)} ${seconds} ${await bodyDigest(request)}`;
}

/** versia-server's `sign`: the signature header value. */
async function sign(privateKey, request, seconds) {
    const text = await signedString(request, seconds);
    const signature = await subtle.sign("Ed25519", privateKey, new TextEncoder().encode(text));
    return { signedString: text, signature: toBase64(new Uint8Array(signature)) };
}

/** versia-server's `verify`, given the header values. */
async function verify(publicKey, request, signedAt, signature) {
    const text = await signedString(request, signedAt);
    const verified = await subtle.verify(
        "Ed25519",
        publicKey,
        fromBase64(signature),
        new TextEncoder().encode(text),
    );
    return { signedString: text, verified };
}

function request(method, url, body) {
    // A GET or HEAD request cannot carry a body in Fetch; theirs is the empty string.
    const init = { method };
    if (body.length > 0 || !["GET", "HEAD"].includes(method.toUpperCase())) {
        init.body = body;
    }
    return new Request(url, init);
}

async function importPrivate(pkcs8Base64) {
    return subtle.importKey("pkcs8", fromBase64(pkcs8Base64), { name: "Ed25519" }, false, [
        "sign",
    ]);
}

async function importPublic(spkiBase64) {
    return subtle.importKey("spki", fromBase64(spkiBase64), { name: "Ed25519" }, false, [
        "verify",
    ]);
}

// The private key of the Versia specification's signature example (also in versia-ws's docs).
const PRIVATE_KEY = "MC4CAQAwBQYDK2VwBCIEILrNXhbWxC/MhKQDsJOAAF1FH/R+Am5G/eZKnqNum5ro";
const SIGNED_AT = 1729243417;
const ORIGIN = "https://bob.example";
const utf8 = (text) => new TextEncoder().encode(text);

// [name, method, path and query after the origin, body bytes]
const CASES = [
    ["plain path", "POST", "/.versia/v0.6/inbox", utf8('{"content":"Hello, world!"}')],
    ["plain path, empty body", "GET", "/.versia/v0.6/instance", new Uint8Array()],
    ["empty body, POST", "POST", "/.versia/v0.6/inbox", new Uint8Array()],
    ["non-ASCII body", "POST", "/.versia/v0.6/inbox", utf8('{"content":"Grüße, 世界 🐘"}')],
    ["query", "GET", "/.versia/v0.6/entities/User/01J9?page=2&q=a%20b", new Uint8Array()],
    [
        "percent-encoded entity path",
        "GET",
        "/.versia/v0.6/entities/pub.versia%3AGroup/01JC3",
        new Uint8Array(),
    ],
    [
        "percent-encoded entity path with a query",
        "GET",
        "/.versia/v0.6/entities/pub.versia%3AGroup/01JC3/collections/members?page=1",
        new Uint8Array(),
    ],
    ["percent-encoded space and raw pipe", "GET", "/a|b%20c", new Uint8Array()],
    ["brackets and caret", "GET", "/a[b]c^d", new Uint8Array()],
    ["backtick and braces", "GET", "/x`y{z}", new Uint8Array()],
    ["quote and angle brackets", "GET", '/q"<>', new Uint8Array()],
    ["raw space", "GET", "/users/a b", new Uint8Array()],
    ["raw non-ASCII path", "GET", "/tags/café/世界", new Uint8Array()],
    ["non-ASCII path, percent-encoded", "GET", "/tags/caf%C3%A9", new Uint8Array()],
    ["lower-case escape", "GET", "/users/%7ealice", new Uint8Array()],
    ["stray percent signs", "GET", "/a%zz/100%", new Uint8Array()],
    ["dot segments", "GET", "/a/./b/../c", new Uint8Array()],
    ["encoded dot segments", "GET", "/a/b/%2e%2E/.%2e/c/%2E", new Uint8Array()],
    ["backslash", "GET", "/a\\b", new Uint8Array()],
    ["tab and newline", "GET", "/a\tb\nc", new Uint8Array()],
    ["sub-delimiters", "POST", "/~u/!$&'()*+,;=:@", utf8("{}")],
    ["WebSocket message", "post", "/.versia/v0.6/ws", utf8('{"id":"n1","type":"Note","author":"alice","created_at":"2024-10-18T09:23:37Z"}')],
    ["byte-order mark", "POST", "/.versia/v0.6/inbox", Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8('{"a":1}'))],
    ["invalid UTF-8 (FF)", "POST", "/.versia/v0.6/inbox", Uint8Array.of(...utf8('{"a":"'), 0xff, ...utf8('"}'))],
    ["invalid UTF-8 (FE)", "POST", "/.versia/v0.6/inbox", Uint8Array.of(...utf8('{"a":"'), 0xfe, ...utf8('"}'))],
];

async function generate() {
    const privateKey = await importPrivate(PRIVATE_KEY);
    const spki = createPublicKey(
        createPrivateKey({ key: Buffer.from(PRIVATE_KEY, "base64"), format: "der", type: "pkcs8" }),
    )
        .export({ format: "der", type: "spki" })
        .toString("base64");
    const publicKey = await importPublic(spki);
    const vectors = [];
    for (const [name, method, target, body] of CASES) {
        const url = ORIGIN + target;
        const signed = await sign(privateKey, request(method, url, body), SIGNED_AT);
        const check = await verify(publicKey, request(method, url, body), SIGNED_AT, signed.signature);
        if (!check.verified || check.signedString !== signed.signedString) {
            throw new Error(`versia-server's verify refuses its own signature for ${name}`);
        }
        vectors.push({
            name,
            method,
            url,
            body_base64: toBase64(body),
            signed_string: signed.signedString,
            signature: signed.signature,
            verified: check.verified,
        });
    }
    const out = {
        generator: "scripts/versia-server/vectors.mjs",
        mirrors: "versia-pub/server packages/sdk/crypto.ts at fca30b4dad2175ddd08bacaf577a9c94f6860b01",
        runtime: globalThis.Bun ? `bun ${globalThis.Bun.version}` : `node ${process.version}`,
        private_key: PRIVATE_KEY,
        public_key: spki,
        signed_at: SIGNED_AT,
        vectors,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

async function readRequests() {
    const chunks = [];
    for await (const chunk of process.stdin) {
        chunks.push(chunk);
    }
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function signRequests() {
    const answers = [];
    for (const item of await readRequests()) {
        const privateKey = await importPrivate(item.private_key);
        const body = fromBase64(item.body_base64);
        answers.push(await sign(privateKey, request(item.method, item.url, body), item.signed_at));
    }
    process.stdout.write(`${JSON.stringify(answers)}\n`);
}

async function check() {
    const requests = await readRequests();
    const answers = [];
    for (const item of requests) {
        const publicKey = await importPublic(item.public_key);
        const body = fromBase64(item.body_base64);
        answers.push(
            await verify(publicKey, request(item.method, item.url, body), item.signed_at, item.signature),
        );
    }
    process.stdout.write(`${JSON.stringify(answers)}\n`);
}

const mode = process.argv[2];
if (mode === "generate") {
    await generate();
} else if (mode === "check") {
    await check();
} else if (mode === "sign") {
    await signRequests();
} else {
    process.stderr.write("usage: vectors.mjs generate | check | sign\n");
    process.exit(2);
}
