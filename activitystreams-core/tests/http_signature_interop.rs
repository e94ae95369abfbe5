//! Cross-check against independent implementations, both ways: bovine (draft-cavage-12 as the
//! Fediverse deploys it) and http-message-signatures (RFC 9421) verify what the crate signs,
//! and the crate verifies what they sign; a tampered copy of every request is refused on both
//! sides, so the checks can fail.
//!
//! Needs the venv `.venvs/httpsig-peers` (`scripts/venv httpsig-peers`, which `scripts/test`
//! runs); the peer is `scripts/httpsig/peer.py`. Without the venv the test is skipped with a
//! notice, unless `FEDI_TEST_STRICT` is set.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use activitystreams_core::http_signatures::{
    Algorithm, CavageAlgorithm, CavageSigner, PrivateKey, Rfc9421Signer, Scheme, VerifyError,
    VerifyOptions, VerifyingKey, http_date, verify,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

const KEY_ID: &str = "https://a.example/users/alice#main-key";
const OWNER: &str = "https://a.example/users/alice";
const URL: &str = "https://b.example/users/bob/inbox";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> Option<PathBuf> {
    let python = root().join(".venvs/httpsig-peers/bin/python");
    if python.exists() {
        return Some(python);
    }
    if std::env::var_os("FEDI_TEST_STRICT").is_some() {
        panic!(
            "{} is missing: run scripts/test (or scripts/venv httpsig-peers) to create it",
            python.display()
        );
    }
    eprintln!(
        "SKIPPED http_signature_interop: {} not found; run `scripts/venv httpsig-peers` to enable this test",
        python.display()
    );
    None
}

fn run_peer(python: &Path, tasks: Vec<Value>) -> Vec<Value> {
    let mut child = Command::new(python)
        .arg(root().join("scripts/httpsig/peer.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Python peer");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json!({ "tasks": tasks }).to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the Python peer failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    answer["results"].as_array().unwrap().clone()
}

fn read(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/http-signatures")
            .join(name),
    )
    .unwrap()
}

struct Key {
    private: PrivateKey,
    private_pem: String,
    public_pem: String,
}

fn keys() -> (Key, Key) {
    let rsa_pem = read("rsa-2048.pem");
    let ed_pem = read("rfc9421-test-key-ed25519.pem");
    let key = |pem: String| {
        let private = PrivateKey::from_pem(&pem).unwrap();
        let public_pem = private.public_key().to_pem().unwrap();
        Key {
            private,
            private_pem: pem,
            public_pem,
        }
    };
    (key(rsa_pem), key(ed_pem))
}

fn request(now: SystemTime, body: &[u8]) -> http::Request<Vec<u8>> {
    http::Request::post(URL)
        .header("host", "b.example")
        .header("date", http_date(now))
        .header("content-type", "application/activity+json")
        .body(body.to_vec())
        .unwrap()
}

/// The request as the peer reads it.
fn described(request: &http::Request<Vec<u8>>) -> Value {
    let headers: Vec<Value> = request
        .headers()
        .iter()
        .map(|(name, value)| json!([name.as_str(), value.to_str().unwrap()]))
        .collect();
    json!({
        "method": request.method().as_str(),
        "url": request.uri().to_string(),
        "headers": headers,
        "body": STANDARD.encode(request.body()),
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    base.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    base
}

fn tampered(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = request.clone();
    *copy.body_mut() = b"{\"type\":\"Block\"}".to_vec();
    copy
}

#[test]
fn independent_implementations_agree_both_ways() {
    let Some(python) = python() else { return };
    let (rsa, ed) = keys();
    // bovine checks Date against its own clock, so this test signs at the real time.
    let now = SystemTime::now();
    let body = br#"{"type":"Follow","actor":"https://a.example/users/alice"}"#;

    // The crate signs; the peers verify (and refuse a tampered copy).
    let mut crate_signed: Vec<(Value, &str)> = Vec::new();
    for (key, algorithm) in [
        (&rsa, CavageAlgorithm::RsaSha256),
        (&rsa, CavageAlgorithm::Hs2019),
        (&ed, CavageAlgorithm::Hs2019),
    ] {
        let mut signed = request(now, body);
        CavageSigner::new(KEY_ID)
            .with_algorithm(algorithm)
            .sign(now, &mut signed, &key.private)
            .unwrap();
        let task = json!({"op": "verify-cavage", "key_id": KEY_ID, "owner": OWNER, "public_pem": key.public_pem});
        crate_signed.push((with(described(&signed), task.clone()), "cavage"));
        crate_signed.push((with(described(&tampered(&signed)), task), "cavage tampered"));
    }
    for (key, alg) in [(&rsa, "rsa-v1_5-sha256"), (&ed, "ed25519")] {
        let mut signed = request(now, body);
        Rfc9421Signer::new(KEY_ID)
            .with_components(["@method", "@target-uri", "@authority", "content-digest"])
            .sign(now, &mut signed, &key.private)
            .unwrap();
        let task = json!({"op": "verify-rfc9421", "key_id": KEY_ID, "alg": alg, "public_pem": key.public_pem});
        crate_signed.push((with(described(&signed), task.clone()), "rfc9421"));
        crate_signed.push((
            with(described(&tampered(&signed)), task),
            "rfc9421 tampered",
        ));
    }

    // The peers sign; the crate verifies below.
    let mut peer_tasks = Vec::new();
    for (key, algorithm) in [(&rsa, "rsa-sha256"), (&rsa, "hs2019")] {
        peer_tasks.push(with(
            described(&request(now, body)),
            json!({"op": "sign-cavage", "key_id": KEY_ID, "algorithm": algorithm, "private_pem": key.private_pem}),
        ));
    }
    let created = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
    for (key, alg) in [(&rsa, "rsa-v1_5-sha256"), (&ed, "ed25519")] {
        peer_tasks.push(with(
            described(&request(now, body)),
            json!({"op": "sign-rfc9421", "key_id": KEY_ID, "alg": alg, "created": created,
                   "components": ["@method", "@target-uri", "@authority"],
                   "private_pem": key.private_pem}),
        ));
    }

    let tasks: Vec<Value> = crate_signed
        .iter()
        .map(|(task, _)| task.clone())
        .chain(peer_tasks)
        .collect();
    let results = run_peer(&python, tasks);
    let (verified_by_peer, signed_by_peer) = results.split_at(crate_signed.len());

    for ((_, what), result) in crate_signed.iter().zip(verified_by_peer) {
        let accepted = match *what {
            "cavage" | "cavage tampered" => result["owner"] == OWNER,
            _ => result["valid"] == true,
        };
        assert_eq!(
            accepted,
            !what.ends_with("tampered"),
            "{what}: the peer answered {result}"
        );
    }

    let options = VerifyOptions::new(now, Duration::from_secs(300));
    let expected = [
        (&rsa, Algorithm::RsaPkcs1Sha256, Scheme::Cavage),
        (&rsa, Algorithm::RsaPkcs1Sha256, Scheme::Cavage),
        (
            &rsa,
            Algorithm::RsaPkcs1Sha256,
            Scheme::Rfc9421 {
                label: "sig1".into(),
            },
        ),
        (
            &ed,
            Algorithm::Ed25519,
            Scheme::Rfc9421 {
                label: "sig1".into(),
            },
        ),
    ];
    for ((key, algorithm, scheme), made) in expected.into_iter().zip(signed_by_peer) {
        let mut signed = request(now, body);
        for header in made["headers"].as_array().unwrap() {
            signed.headers_mut().insert(
                http::HeaderName::from_bytes(header[0].as_str().unwrap().as_bytes()).unwrap(),
                header[1].as_str().unwrap().parse().unwrap(),
            );
        }
        let public = key.private.public_key();
        let mut resolver =
            |id: &str| (id == KEY_ID).then(|| VerifyingKey::new(public.clone(), OWNER));
        let verified = verify(&signed, &mut resolver, &options)
            .unwrap_or_else(|e| panic!("{scheme:?} {algorithm:?}: {e:?}; peer made {made}"));
        assert_eq!(
            (verified.algorithm, verified.scheme.clone()),
            (algorithm, scheme)
        );
        assert_eq!(verified.owner, OWNER);
        assert!(verified.body_digest_verified);
        assert!(matches!(
            verify(&tampered(&signed), &mut resolver, &options),
            Err(VerifyError::Digest(_))
        ));
    }
}
