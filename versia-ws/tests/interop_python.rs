//! Cross-check against an independent implementation: Python `cryptography` (OpenSSL) makes
//! keys and signatures that the crate verifies, and verifies the crate's.
//!
//! Needs the venv `.venvs/versia-interop` (`scripts/venv versia-interop`, which `scripts/test`
//! runs). Without it the test is skipped with a notice, unless `FEDI_TEST_STRICT` is set.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use versia_ws::message::DEFAULT_MAX_MESSAGE_BYTES;
use versia_ws::signature::{SignatureInput, sign};
use versia_ws::{PrivateKey, PublicKey, SignedBy, VerifyOptions, Version, WebSocketMessage};

fn python() -> Option<PathBuf> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(".venvs/versia-interop/bin/python");
    if python.exists() {
        return Some(python);
    }
    if std::env::var_os("FEDI_TEST_STRICT").is_some() {
        panic!(
            "{} is missing: run scripts/test (or scripts/venv versia-interop) to create it",
            python.display()
        );
    }
    eprintln!(
        "SKIPPED interop_python: {} not found; run `scripts/venv versia-interop` to enable this test",
        python.display()
    );
    None
}

fn run_python(python: &PathBuf, request: &Value) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop_python.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "python helper failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn python_cryptography_agrees_both_ways() {
    let Some(python) = python() else { return };
    let path = Version::V0_6.ws_path();

    // Rust signs; Python checks.
    let cases = [
        (
            "POST",
            "/.versia/v0.6/inbox",
            1_729_243_417u64,
            br#"{"content":"Hello, world!"}"#.to_vec(),
        ),
        ("get", "/.versia/v0.6/instance", 1_729_243_418, Vec::new()),
        (
            "post",
            "/users/caf%C3%A9/inbox",
            1_729_243_419,
            vec![0u8, 255, 10, 13],
        ),
        (
            "POST",
            path,
            1_729_243_420,
            "é ünïcode ✓".as_bytes().to_vec(),
        ),
    ];
    let rust_tasks: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(index, (method, path, signed_at, body))| {
            let key = PrivateKey::from_seed(&[index as u8 + 40; 32]);
            let input = SignatureInput::new(method, path, *signed_at, body).unwrap();
            json!({
                "private": key.to_pkcs8_base64(),
                "public": key.public_key().to_spki_base64(),
                "method": method, "path": path, "signed_at": signed_at,
                "body": STANDARD.encode(body),
                "signed_string": input.signed_string(),
                "signature": sign(&key, &input).to_base64(),
            })
        })
        .collect();

    // Python signs; Rust checks.
    let entities = [
        r#"{"id":"1","type":"Note","created_at":"2024-10-18T09:23:37Z","author":"a"}"#.to_owned(),
        r#"{"type":"Follow","created_at":"2024-10-18T09:23:37Z","author":"a","followee":"b.com:b","x":"é"}"#.to_owned(),
        format!(r#"{{"id":"big","type":"Note","created_at":"2024-10-18T09:23:37Z","author":"a","content":{{"text/plain":{{"content":"{}"}}}}}}"#, "z".repeat(1024)),
    ];
    let python_tasks: Vec<Value> = entities
        .iter()
        .enumerate()
        .map(|(index, entity)| {
            json!({"path": path, "signed_at": 1_729_243_500u64 + index as u64, "signed_by": "py.example", "entity": entity})
        })
        .collect();

    let answer = run_python(
        &python,
        &json!({"rust": rust_tasks, "python": python_tasks}),
    );

    for (index, result) in answer["rust"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            result,
            &json!({"public_matches": true, "string_matches": true, "valid": true, "tampered_valid": false}),
            "case {index}"
        );
    }

    let options = VerifyOptions::new(Version::V0_6);
    for (index, made) in answer["python"].as_array().unwrap().iter().enumerate() {
        let public = PublicKey::from_spki_base64(made["public"].as_str().unwrap()).unwrap();
        let private = PrivateKey::from_pkcs8_base64(made["private"].as_str().unwrap()).unwrap();
        assert_eq!(private.public_key(), public, "python key {index}");
        let message =
            WebSocketMessage::decode(made["message"].as_str().unwrap(), DEFAULT_MAX_MESSAGE_BYTES)
                .unwrap();
        assert_eq!(message.entity, entities[index]);
        let input = message.input(path).unwrap();
        assert_eq!(
            input.signed_string(),
            made["signed_string"].as_str().unwrap()
        );
        let signed_at = message.parsed_signed_at().unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(signed_at);
        let mut key = public.clone();
        let verified = message.verify(&options, path, Some(at), &mut key).unwrap();
        assert_eq!(verified.signer, SignedBy::instance("py.example"));
        assert_eq!(
            verified.signature.to_base64(),
            made["signature"].as_str().unwrap()
        );
        // Our deterministic signature with the same key equals OpenSSL's.
        assert_eq!(
            sign(&private, &input).to_base64(),
            made["signature"].as_str().unwrap()
        );
        let mut tampered = message.clone();
        tampered.entity.push(' ');
        assert!(tampered.verify(&options, path, Some(at), &mut key).is_err());
    }
}
