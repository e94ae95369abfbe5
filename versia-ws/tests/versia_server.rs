//! Interop with versia-server's signing code, both ways.
//!
//! `tests/data/versia-server/vectors.json` holds requests signed by versia-server's steps
//! (its SDK's `crypto.ts`) run on its runtime, Bun; see `tests/data/versia-server/README.md` for
//! how they are made. Each one gives versia-server's signed string, its signature, and its own
//! verify verdict over that signature. versia-ws must verify the signature in the
//! versia-server path mode, and its versia-server-form signature must be the very same bytes
//! (Ed25519 is deterministic), so versia-server's verify accepts it.
//!
//! The live test sends versia-ws signatures over generated paths to the same steps and checks
//! their verdict. It needs the pinned runtime (`scripts/setup/versia-server.sh`, which
//! `scripts/test` runs); without it the test is skipped with a notice, unless
//! `FEDI_TEST_STRICT` is set.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use versia_ws::connection::{
    Acceptor, Config, ConnectionError, Event, Initiator, LocalIdentity, Transmit,
};
use versia_ws::path::{PathForm, PathMode};
use versia_ws::replay::ReplayCache;
use versia_ws::signature::{
    SignError, SignatureHeaders, SignatureInput, body_digest, body_is_text, sign, sign_in, verify,
    verify_request,
};
use versia_ws::{
    PrivateKey, PublicKey, SignedBy, SignerKey, VerifyError, VerifyOptions, Version,
    WebSocketMessage,
};

const ORIGIN: &str = "https://bob.example";

fn vectors() -> Value {
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/versia-server/vectors.json");
    let text = std::fs::read_to_string(&file).expect("read the vectors");
    serde_json::from_str(&text).expect("the vectors are JSON")
}

fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is not a string in {value}"))
}

/// One vector, read: its request parts and versia-server's outputs.
struct Vector {
    name: String,
    method: String,
    /// Path and query, as after the origin of the URL.
    target: String,
    body: Vec<u8>,
    signed_string: String,
    signature: String,
}

impl Vector {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    fn input(&self, signed_at: u64) -> SignatureInput {
        SignatureInput::new(&self.method, self.path(), signed_at, &self.body)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }
}

fn read_vectors() -> (Value, Vec<Vector>) {
    let file = vectors();
    let list = file["vectors"]
        .as_array()
        .expect("`vectors` is an array")
        .iter()
        .map(|v| {
            assert_eq!(
                v["verified"],
                json!(true),
                "versia-server refused its own {v}"
            );
            Vector {
                name: text(v, "name").to_owned(),
                method: text(v, "method").to_owned(),
                target: text(v, "url")
                    .strip_prefix(ORIGIN)
                    .expect("the vectors' origin")
                    .to_owned(),
                body: STANDARD
                    .decode(text(v, "body_base64"))
                    .expect("base64 body"),
                signed_string: text(v, "signed_string").to_owned(),
                signature: text(v, "signature").to_owned(),
            }
        })
        .collect();
    (file, list)
}

fn keys(file: &Value) -> (PrivateKey, PublicKey, u64) {
    let private = PrivateKey::from_pkcs8_base64(text(file, "private_key")).expect("PKCS#8");
    let public = PublicKey::from_spki_base64(text(file, "public_key")).expect("SPKI");
    assert_eq!(private.public_key(), public);
    let signed_at = file["signed_at"].as_u64().expect("signed_at");
    (private, public, signed_at)
}

fn options(mode: PathMode) -> VerifyOptions {
    VerifyOptions::new(Version::V0_6).with_path_mode(mode)
}

#[test]
fn the_vectors_cover_the_interop_cases() {
    let (file, list) = read_vectors();
    assert_eq!(text(&file, "runtime"), "bun 1.4.5");
    let names: Vec<&str> = list.iter().map(|v| v.name.as_str()).collect();
    for needed in [
        "plain path",
        "plain path, empty body",
        "empty body, POST",
        "non-ASCII body",
        "query",
        "percent-encoded entity path",
        "percent-encoded entity path with a query",
        "percent-encoded space and raw pipe",
        "brackets and caret",
        "backtick and braces",
        "raw non-ASCII path",
        "dot segments",
        "encoded dot segments",
        "backslash",
        "WebSocket message",
        "byte-order mark",
        "invalid UTF-8 (FF)",
    ] {
        assert!(names.contains(&needed), "no vector `{needed}`");
    }
}

#[test]
fn versia_server_signatures_verify_and_ours_are_the_same_bytes() {
    let (file, list) = read_vectors();
    let (private, mut public, signed_at) = keys(&file);
    let signer = SignedBy::instance("bob.example");
    let mut interop_paths = 0;
    for vector in list.iter().filter(|v| body_is_text(&v.body)) {
        let name = &vector.name;
        let input = vector.input(signed_at);
        assert_eq!(
            input.signed_string_in(PathForm::VersiaServer),
            vector.signed_string,
            "{name}: versia-server's signed string"
        );
        let signature = versia_ws::Signature::from_base64(&vector.signature).unwrap();

        // versia-server signed; versia-ws verifies in the interop mode.
        let verified = verify(
            &options(PathMode::AlsoVersiaServer),
            &input,
            &signer,
            &signature,
            Some(wall(signed_at)),
            &mut public,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let same_as_strict = input.signed_string() == vector.signed_string;
        let expected_form = if same_as_strict {
            PathForm::Strict
        } else {
            interop_paths += 1;
            PathForm::VersiaServer
        };
        assert_eq!(verified.path_form, expected_form, "{name}");
        // Strictly, only where the two strings coincide.
        let strict = verify(
            &options(PathMode::Strict),
            &input,
            &signer,
            &signature,
            Some(wall(signed_at)),
            &mut public,
        );
        assert_eq!(strict.is_ok(), same_as_strict, "{name}: {strict:?}");

        // versia-ws signs in the interop form: the bytes versia-server's verify accepted.
        let ours = sign_in(&private, &input, PathForm::VersiaServer).unwrap();
        assert_eq!(ours.to_base64(), vector.signature, "{name}");
        assert_eq!(
            sign(&private, &input).to_base64() == vector.signature,
            same_as_strict,
            "{name}: the strict signature"
        );
    }
    // Percent-escapes, edge characters, dot segments, non-ASCII and backslashes differ.
    assert!(interop_paths >= 14, "only {interop_paths} paths differ");
}

#[test]
fn http_requests_sign_and_verify_in_the_versia_server_form() {
    let (file, list) = read_vectors();
    let (private, mut public, signed_at) = keys(&file);
    let mut tried = 0;
    for vector in list.iter().filter(|v| body_is_text(&v.body)) {
        // Only targets the `http` crate takes as a request line.
        let Ok(uri) = format!("{ORIGIN}{}", vector.target).parse::<http::Uri>() else {
            continue;
        };
        tried += 1;
        let mut request = http::Request::builder()
            .method(vector.method.to_uppercase().as_str())
            .uri(uri)
            .body(vector.body.clone())
            .unwrap();
        let headers = SignatureHeaders::sign_request_in(
            &mut request,
            &private,
            SignedBy::instance("bob.example"),
            Version::V0_6,
            wall(signed_at),
            PathForm::VersiaServer,
        )
        .unwrap();
        assert_eq!(
            headers.signature.to_base64(),
            vector.signature,
            "{}",
            vector.name
        );
        let verified = verify_request(
            &options(PathMode::AlsoVersiaServer),
            &request,
            Some(wall(signed_at)),
            &mut public,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", vector.name));
        assert_eq!(verified.signed_at, signed_at);
    }
    assert!(tried >= 10, "only {tried} vectors are request lines");
}

#[test]
fn bodies_that_text_decoding_changes_are_refused_both_ways() {
    let (file, list) = read_vectors();
    let (private, mut public, signed_at) = keys(&file);
    let signer = SignedBy::instance("bob.example");
    let quirky: Vec<&Vector> = list.iter().filter(|v| !body_is_text(&v.body)).collect();
    assert_eq!(quirky.len(), 3);
    for vector in &quirky {
        let name = &vector.name;
        let input = vector.input(signed_at);
        // versia-server hashed other bytes than those sent.
        let digest = vector.signed_string.rsplit(' ').next().unwrap();
        assert_ne!(digest, body_digest(&vector.body), "{name}");
        let signature = versia_ws::Signature::from_base64(&vector.signature).unwrap();
        for mode in [PathMode::Strict, PathMode::AlsoVersiaServer] {
            assert_eq!(
                verify(
                    &options(mode),
                    &input,
                    &signer,
                    &signature,
                    Some(wall(signed_at)),
                    &mut public
                ),
                Err(VerifyError::SignatureMismatch),
                "{name} in {mode:?}"
            );
        }
        assert_eq!(
            sign_in(&private, &input, PathForm::VersiaServer),
            Err(SignError::BodyNotText),
            "{name}"
        );
        // The strict form signs any bytes.
        assert!(sign_in(&private, &input, PathForm::Strict).is_ok());
    }
    // Why: two different bodies carry one versia-server signature.
    let ff = quirky.iter().find(|v| v.name.ends_with("(FF)")).unwrap();
    let fe = quirky.iter().find(|v| v.name.ends_with("(FE)")).unwrap();
    assert_ne!(ff.body, fe.body);
    assert_eq!(ff.signature, fe.signature);
}

fn identity(key: PrivateKey, host: &str) -> LocalIdentity {
    LocalIdentity {
        signer: SignedBy::instance(host),
        key,
    }
}

#[test]
fn a_connection_takes_the_versia_server_message_and_signs_in_that_form() {
    let (file, list) = read_vectors();
    let (bob_key, bob_public, signed_at) = keys(&file);
    let vector = list.iter().find(|v| v.name == "WebSocket message").unwrap();
    let path = Version::V0_6.ws_path();
    assert_eq!(vector.path(), path);

    let bob = identity(bob_key, "bob.example");
    let alice = identity(PrivateKey::from_seed(&[9; 32]), "alice.example");
    let bobs_key = SignerKey {
        signer: bob.signer.clone(),
        key: bob_public,
    };
    let alices_key = SignerKey {
        signer: alice.signer.clone(),
        key: alice.key.public_key(),
    };
    let config = Config::new(Version::V0_6).versia_server_compatible();
    assert_eq!(config.sign_path_form, PathForm::VersiaServer);
    assert_eq!(config.path_mode, PathMode::AlsoVersiaServer);
    let now = Instant::now();
    let initiator = Initiator::new(config.clone(), bob.clone(), alice.signer.clone());
    let mut request = http::Request::get(path).body(()).unwrap();
    *request.headers_mut() = initiator.request_headers(wall(signed_at)).unwrap();
    let accepted = Acceptor::new(config, alice)
        .accept(
            now,
            wall(signed_at),
            &request,
            bobs_key,
            ReplayCache::default(),
        )
        .unwrap_or_else(|r| panic!("{}", r.error));
    let mut alice_side = accepted.connection;
    let mut bob_side = initiator
        .finish(
            now,
            wall(signed_at),
            http::StatusCode::SWITCHING_PROTOCOLS,
            &accepted.response_headers,
            alices_key,
        )
        .unwrap();

    // The message versia-server's steps signed is received.
    let entity = String::from_utf8(vector.body.clone()).unwrap();
    let message = WebSocketMessage {
        signature: vector.signature.clone(),
        signed_at: signed_at.to_string(),
        signed_by: "bob.example".into(),
        entity: entity.clone(),
    };
    alice_side
        .handle_text(now, wall(signed_at), &message.encode())
        .unwrap();
    while alice_side.poll_transmit(now).is_some() {}
    match alice_side.poll_event(now) {
        Some(Event::Received(received)) => assert_eq!(received.message.entity, entity),
        other => panic!("unexpected {other:?}"),
    }

    // Bob's connection signs the same entity into the same signature.
    let signature = bob_side.send_entity(now, wall(signed_at), entity).unwrap();
    assert_eq!(signature.to_base64(), vector.signature);
    let signed = WebSocketMessage::sign_in(
        &bob.key,
        &bob.signer,
        Version::V0_6,
        path,
        wall(signed_at),
        "\u{feff}{}",
        PathForm::Strict,
    );
    assert!(signed.is_ok());
    // An entity that text decoding would change is not signed in the versia-server form.
    assert_eq!(
        bob_side.send_entity(now, wall(signed_at + 1), "\u{feff}{\"id\":null}"),
        Err(ConnectionError::Sign(SignError::BodyNotText))
    );
    assert!(matches!(
        bob_side.poll_transmit(now),
        Some(Transmit::Text(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Live: versia-server's steps verify versia-ws's signatures over generated paths.

fn runtime() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bun = root.join("scripts/versia-server/node_modules/.bin/bun");
    if bun.exists() {
        return Some(bun);
    }
    if std::env::var_os("FEDI_TEST_STRICT").is_some() {
        panic!(
            "{} is missing: run scripts/test (or scripts/setup/versia-server.sh) to install it",
            bun.display()
        );
    }
    eprintln!(
        "SKIPPED versia_server live test: {} not found; run `scripts/setup/versia-server.sh` to enable it",
        bun.display()
    );
    None
}

/// A small deterministic generator (xorshift64*), so a failure names a reproducible path.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Characters the URL parser and `encodeURI` treat differently, and plain ones.
const ALPHABET: &[&str] = &[
    "a", "Z", "0", "-", ".", "_", "~", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":",
    "@", "/", "/", "/", "\\", "%", "%", "2", "e", "E", "3", "A", "%2e", "%2E", "..", "|", "[", "]",
    "^", "`", "{", "}", "\"", "<", ">", " ", "\t", "\n", "é", "世", "🐘", "\u{7f}", "\u{1}",
];

fn generated_paths() -> Vec<String> {
    let mut rng = Rng(0x5eed_1729_2434_1701);
    let mut paths: Vec<String> = [
        "/.versia/v0.6/inbox",
        "/.versia/v0.6/entities/pub.versia%3AGroup/g1/collections/members",
        "/a|b%20c",
        "/a^b[c]d",
        "/tags/café",
        "/a/b/../%2e%2e/c/.",
        "/a b  ",
        "/%",
        "/\\x\\..\\y",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    for _ in 0..400 {
        let mut path = String::from("/");
        for _ in 0..rng.below(14) {
            path.push_str(ALPHABET[rng.below(ALPHABET.len())]);
        }
        paths.push(path);
    }
    paths
}

#[test]
fn versia_server_verifies_versia_ws_signatures_live() {
    let Some(bun) = runtime() else { return };
    let key = PrivateKey::from_seed(&[7; 32]);
    let public = key.public_key().to_spki_base64();
    let signed_at = 1_729_243_417u64;
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for (index, path) in generated_paths().iter().enumerate() {
        let (method, body): (&str, &[u8]) = if index % 3 == 0 {
            ("POST", "{\"content\":\"Grüße\"}".as_bytes())
        } else {
            ("GET", b"")
        };
        let input = SignatureInput::new(method, path, signed_at, body)
            .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let interop = sign_in(&key, &input, PathForm::VersiaServer).unwrap();
        let strict = sign(&key, &input);
        for signature in [interop, strict] {
            requests.push(json!({
                "method": method,
                "url": format!("{ORIGIN}{path}"),
                "body_base64": STANDARD.encode(body),
                "signed_at": signed_at,
                "signature": signature.to_base64(),
                "public_key": public,
            }));
        }
        expected.push((path.clone(), input));
    }
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/versia-server/vectors.mjs");
    let mut child = Command::new(&bun)
        .arg(script)
        .arg("check")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the versia-server steps");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(requests).to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the versia-server steps failed");
    let answers: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answers.len(), expected.len() * 2);
    let mut differing = 0;
    for ((path, input), pair) in expected.iter().zip(answers.chunks(2)) {
        let ours = input.signed_string_in(PathForm::VersiaServer);
        assert_eq!(text(&pair[0], "signedString"), ours, "path {path:?}");
        assert_eq!(pair[0]["verified"], json!(true), "path {path:?}");
        let strict_accepted = input.signed_string() == ours;
        if !strict_accepted {
            differing += 1;
        }
        assert_eq!(
            pair[1]["verified"],
            json!(strict_accepted),
            "strict signature, path {path:?}"
        );
    }
    assert!(differing > 300, "only {differing} paths differ");
}

/// The wall clock at `unix` seconds.
fn wall(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}
