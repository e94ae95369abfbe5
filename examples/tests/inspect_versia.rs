//! End-to-end tests of `fedi-inspect versia` (vectors from versia-ws/tests/data/versia/vectors.md).

mod inspect_common;

use inspect_common::output;
use std::process::Output;

const SPEC_PRIVATE: &str = "MC4CAQAwBQYDK2VwBCIEILrNXhbWxC/MhKQDsJOAAF1FH/R+Am5G/eZKnqNum5ro";
const SPEC_PUBLIC: &str = "MCowBQYDK2VwAyEA9oGFPbz+LThzQSOhWhOpUdFxLG07Rqmn0HtAFaCz/hM=";
const BODY: &str = r#"{"content":"Hello, world!"}"#;
/// Section C, first row: `post /.versia/v0.6/inbox 1729243417 4+e2…` under the spec key.
const SIGNATURE: &str =
    "cboFpspY5XR66DjeuOQRUhHktWYvokU2pGK7Zfhf9cQiuGcIxkWuKR6Iqc/TK0FUtDJpERTzxYKIR5J9xgHmCQ==";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sign(private_key: &str, method: &str, path: &str, signed_at: &str, body: &[u8]) -> Output {
    output(
        &[
            "versia",
            "sign",
            "--private-key",
            private_key,
            "--method",
            method,
            "--path",
            path,
            "--signed-at",
            signed_at,
        ],
        body,
    )
}

fn verify_with(signature: &str, extra: &[&str], body: &str) -> Output {
    let mut args = vec![
        "versia",
        "verify",
        "--public-key",
        SPEC_PUBLIC,
        "--method",
        "post",
        "--path",
        "/.versia/v0.6/inbox",
        "--signed-at",
        "1729243417",
        "--signature",
        signature,
    ];
    args.extend_from_slice(extra);
    output(&args, body.as_bytes())
}

fn verify(extra: &[&str], body: &str) -> Output {
    verify_with(SIGNATURE, extra, body)
}

#[test]
fn sign_prints_the_known_signature_in_any_method_case() {
    for method in ["POST", "post"] {
        let output = sign(
            SPEC_PRIVATE,
            method,
            "/.versia/v0.6/inbox",
            "1729243417",
            BODY.as_bytes(),
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(text(&output.stdout), format!("{SIGNATURE}\n"));
    }
    // Section C, second row: a GET with an empty body.
    let output = sign(
        SPEC_PRIVATE,
        "GET",
        "/.versia/v0.6/instance",
        "1729243417",
        b"",
    );
    assert_eq!(
        text(&output.stdout),
        "+jUUpihONw440PGQm671Cb8v17vG4UUxVnPWVQhBfrTJMk4xGYWS71lJkoVSoWmUUhgcfkiNOSZ+eM0QDiGnDg==\n"
    );
}

#[test]
fn sign_refuses_a_raw_key() {
    let raw = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let output = sign(raw, "post", "/x", "1", b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("32 raw bytes"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn verify_exit_codes() {
    let valid = verify(&[], BODY);
    assert_eq!(valid.status.code(), Some(0), "{}", text(&valid.stderr));
    assert!(valid.stdout.is_empty());

    let tampered = verify(&[], r#"{"content":"Hello, world?"}"#);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        text(&tampered.stderr).contains("401"),
        "{}",
        text(&tampered.stderr)
    );

    assert_eq!(
        verify(&["--now", "1729243717"], BODY).status.code(),
        Some(0)
    );
    let stale = verify(&["--now", "1729243718"], BODY);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        text(&stale.stderr).contains("422"),
        "{}",
        text(&stale.stderr)
    );
    let future = verify(&["--now", "1729243116"], BODY);
    assert_eq!(future.status.code(), Some(1));
    assert!(text(&future.stderr).contains("422"));

    let truncated = verify_with(&SIGNATURE[..86], &[], BODY);
    assert_eq!(truncated.status.code(), Some(1));
    assert!(text(&truncated.stderr).contains("base64"));
}

#[test]
fn usage_errors_exit_2() {
    let output = output(&["versia", "verify", "--public-key", SPEC_PUBLIC], b"");
    assert_eq!(output.status.code(), Some(2));
}

fn ws_message(signed_at: u64, entity: &str) -> String {
    let output = sign(
        SPEC_PRIVATE,
        "post",
        "/.versia/v0.6/ws",
        &signed_at.to_string(),
        entity.as_bytes(),
    );
    assert!(output.status.success());
    serde_json::json!({
        "signature": text(&output.stdout).trim(),
        "signed_at": signed_at.to_string(),
        "signed_by": "bob.com",
        "entity": entity,
    })
    .to_string()
}

fn ws_verify(path: &str, extra: &[&str], message: &str) -> Output {
    let mut args = vec![
        "versia",
        "ws-verify",
        "--public-key",
        SPEC_PUBLIC,
        "--path",
        path,
    ];
    args.extend_from_slice(extra);
    output(&args, message.as_bytes())
}

#[test]
fn ws_verify_checks_messages() {
    let entity =
        r#"{"type":"Follow","created_at":"2024-10-18T09:23:37Z","author":"a","followee":"b"}"#;
    let message = ws_message(1729243417, entity);
    let run = |message: &str, extra: &[&str]| ws_verify("/.versia/v0.6/ws", extra, message);
    let valid = run(&message, &[]);
    assert_eq!(valid.status.code(), Some(0), "{}", text(&valid.stderr));
    assert!(valid.stdout.is_empty());
    assert_eq!(
        run(&message, &["--now", "1729243500"]).status.code(),
        Some(0)
    );
    let stale = run(&message, &["--now", "1729244000"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(text(&stale.stderr).contains("422"));

    let tampered = message.replace(r#"\"author\":\"a\""#, r#"\"author\":\"z\""#);
    assert_ne!(tampered, message);
    let refused = run(&tampered, &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("401"));

    assert_eq!(
        ws_verify("/.versia/v0.5/ws", &[], &message).status.code(),
        Some(1)
    );

    let not_json = run("{", &[]);
    assert_eq!(not_json.status.code(), Some(1));
    assert!(text(&not_json.stderr).contains("JSON"));
}

/// A vector of versia-ws's versia-server vectors (made by versia-server's signing steps).
struct ServerVector {
    name: String,
    method: String,
    path: String,
    body: Vec<u8>,
    signature: String,
}

/// The versia-server vectors and their signing time.
fn versia_server_vectors() -> (Vec<ServerVector>, String) {
    use base64::Engine as _;
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../versia-ws/tests/data/versia-server/vectors.json");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(file["private_key"], SPEC_PRIVATE);
    let field = |v: &serde_json::Value, name: &str| v[name].as_str().unwrap().to_owned();
    let vectors = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let url = field(v, "url");
            let target = url.strip_prefix("https://bob.example").unwrap();
            let path = target.split('?').next().unwrap().to_owned();
            let body = base64::engine::general_purpose::STANDARD
                .decode(field(v, "body_base64"))
                .unwrap();
            ServerVector {
                name: field(v, "name"),
                method: field(v, "method"),
                path,
                body,
                signature: field(v, "signature"),
            }
        })
        .collect();
    (vectors, file["signed_at"].to_string())
}

fn versia_verify(
    method: &str,
    path: &str,
    signed_at: &str,
    signature: &str,
    extra: &[&str],
    body: &[u8],
) -> Output {
    let mut args = vec![
        "versia",
        "verify",
        "--public-key",
        SPEC_PUBLIC,
        "--method",
        method,
        "--path",
        path,
        "--signed-at",
        signed_at,
        "--signature",
        signature,
    ];
    args.extend_from_slice(extra);
    output(&args, body)
}

#[test]
fn versia_server_paths_sign_and_verify_versia_servers_signatures() {
    let (vectors, signed_at) = versia_server_vectors();
    let mut differing = 0;
    for ServerVector {
        name,
        method,
        path,
        body,
        signature,
    } in &vectors
    {
        let signed = output(
            &[
                "versia",
                "sign",
                "--private-key",
                SPEC_PRIVATE,
                "--method",
                method,
                "--path",
                path,
                "--signed-at",
                &signed_at,
                "--versia-server-paths",
            ],
            body,
        );
        if name.starts_with("invalid UTF-8") || name == "byte-order mark" {
            assert_eq!(signed.status.code(), Some(1), "{name}");
            assert!(
                text(&signed.stderr).contains("byte-order mark"),
                "{name}: {}",
                text(&signed.stderr)
            );
            let verified = versia_verify(
                method,
                path,
                &signed_at,
                signature,
                &["--versia-server-paths"],
                body,
            );
            assert_eq!(verified.status.code(), Some(1), "{name}");
            continue;
        }
        assert!(signed.status.success(), "{name}: {}", text(&signed.stderr));
        assert_eq!(text(&signed.stdout), format!("{signature}\n"), "{name}");

        let lenient = versia_verify(
            method,
            path,
            &signed_at,
            signature,
            &["--versia-server-paths"],
            body,
        );
        assert_eq!(
            lenient.status.code(),
            Some(0),
            "{name}: {}",
            text(&lenient.stderr)
        );
        // Without the option: only where both forms are the same string.
        let strict_signed = sign(SPEC_PRIVATE, method, path, &signed_at, body);
        let same = text(&strict_signed.stdout) == format!("{signature}\n");
        let strict = versia_verify(method, path, &signed_at, signature, &[], body);
        assert_eq!(
            strict.status.code(),
            Some(if same { 0 } else { 1 }),
            "{name}"
        );
        if !same {
            differing += 1;
        }
    }
    assert!(
        differing >= 14,
        "only {differing} vectors differ from the strict form"
    );
}
