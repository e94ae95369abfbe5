//! Known-answer tests from `tests/data/versia/vectors.md` (sources in `tests/data/SOURCES.md`).

use std::time::{Duration, UNIX_EPOCH};

use versia_ws::signature::{SignatureInput, body_digest, verify};
use versia_ws::{PrivateKey, PublicKey, Signature, SignedBy, VerifyError, VerifyOptions, Version};

const VECTORS: &str = include_str!("data/versia/vectors.md");

/// The first `"`-quoted string on the first line containing `marker`.
fn quoted_on_line_with(marker: &str) -> &'static str {
    let line = VECTORS
        .lines()
        .find(|line| line.contains(marker))
        .unwrap_or_else(|| panic!("{marker} not in vectors.md"));
    let start = line.find('"').unwrap() + 1;
    let end = start + line[start..].find('"').unwrap();
    &line[start..end]
}

/// The backtick-quoted cells of the rows of section C's table.
fn section_c_rows() -> Vec<Vec<&'static str>> {
    let section = &VECTORS[VECTORS.find("## C.").unwrap()..];
    section
        .lines()
        .filter(|line| line.starts_with("| `") || line.starts_with("| (empty)"))
        .map(|line| {
            line.split('|')
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .map(|cell| cell.trim_matches('`'))
                .collect()
        })
        .collect()
}

#[test]
fn versia_go_known_answer() {
    // Section A: WD4 layout `method path?query nonce digest`, checked end to end here
    // (keys, SHA-256, Ed25519), built by hand since the crate signs the current layout.
    let private = PrivateKey::from_pkcs8_base64(quoted_on_line_with("bobPrivBytes")).unwrap();
    let public = PublicKey::from_spki_base64(quoted_on_line_with("bobPubBytes")).unwrap();
    assert_eq!(private.public_key(), public);
    assert_eq!(
        hex(public.as_bytes()),
        "434f19fc52797f5ea8f26b612da159328e2cb27d1f27b73e6e2a4d626de421de"
    );

    let expected_string =
        "post /a/b/c?z=foo&a=bar myrandomnonce LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
    assert!(VECTORS.contains(expected_string));
    let built = format!(
        "post /a/b/c?z=foo&a=bar myrandomnonce {}",
        body_digest(b"hello")
    );
    assert_eq!(built, expected_string);

    let expected_signature =
        quoted_on_line_with("base64.StdEncoding.EncodeToString(signed.Signature))");
    let signature = private.sign_bytes(built.as_bytes());
    assert_eq!(signature.to_base64(), expected_signature);
    assert_eq!(public.verify_bytes(built.as_bytes(), &signature), Ok(()));
    assert_eq!(
        public.verify_bytes(b"post /a/b/c myrandomnonce x", &signature),
        Err(VerifyError::SignatureMismatch)
    );
}

#[test]
fn versia_go_headers_string_and_public_key() {
    let expected =
        "post /users/bob?z=foo&a=bar 1234567890 LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
    assert!(VECTORS.contains(expected));
    assert_eq!(
        format!(
            "post /users/bob?z=foo&a=bar 1234567890 {}",
            body_digest(b"hello")
        ),
        expected
    );
    let key =
        PublicKey::from_spki_base64("MCowBQYDK2VwAyEAgKNt+9eyOXdb7MSrrmHlsFD2H9NGwC+56PjpWD46Tcs=")
            .unwrap();
    assert!(VECTORS.contains("80a36dfbd7b239775becc4abae61e5b050f61fd346c02fb9e8f8e9583e3a4dcb"));
    assert_eq!(
        hex(key.as_bytes()),
        "80a36dfbd7b239775becc4abae61e5b050f61fd346c02fb9e8f8e9583e3a4dcb"
    );
}

#[test]
fn spec_example_keys() {
    // Section B.
    let private = PrivateKey::from_pkcs8_base64(
        "MC4CAQAwBQYDK2VwBCIEILrNXhbWxC/MhKQDsJOAAF1FH/R+Am5G/eZKnqNum5ro",
    )
    .unwrap();
    assert_eq!(
        private.public_key().to_spki_base64(),
        "MCowBQYDK2VwAyEA9oGFPbz+LThzQSOhWhOpUdFxLG07Rqmn0HtAFaCz/hM="
    );
    assert_eq!(
        hex(private.public_key().as_bytes()),
        "f681853dbcfe2d38734123a15a13a951d1712c6d3b46a9a7d07b4015a0b3fe13"
    );
    let instance =
        PublicKey::from_spki_base64("MCowBQYDK2VwAyEA9zhEMtQZetRl4QrLcz99i7jOa6ZVjX7aLfRUsMuKByI=")
            .unwrap();
    assert_eq!(
        hex(instance.as_bytes()),
        "f7384432d4197ad465e10acb733f7d8bb8ce6ba6558d7eda2df454b0cb8a0722"
    );
}

#[test]
fn spec_placeholder_signature_does_not_verify() {
    // Section B: the signature printed throughout the spec is a placeholder.
    let placeholder = Signature::from_base64(
        "/CjB2L9bcvRg+uP19B4/rqy7Ji9/cqMFPlL3GVCIndnQjYyOpBzJEAl9weDnXm7Jrqa3y6sBC+EYWKThO2r9Bw==",
    )
    .unwrap();
    let mut key = PrivateKey::from_pkcs8_base64(
        "MC4CAQAwBQYDK2VwBCIEILrNXhbWxC/MhKQDsJOAAF1FH/R+Am5G/eZKnqNum5ro",
    )
    .unwrap()
    .public_key();
    let options = VerifyOptions::new(Version::V0_6);
    let signer = SignedBy::instance("bob.com");
    for (method, path, body) in [
        (
            "post",
            "/notes",
            br#"{"content":"Hello, world!"}"#.as_slice(),
        ),
        (
            "post",
            "/.versia/v0.6/inbox",
            br#"{"content":"Hello, world!"}"#.as_slice(),
        ),
        ("get", "/.versia/v0.6/instance", b"".as_slice()),
    ] {
        for signed_at in [1729241687, 1729241807, 1729243417] {
            let input = SignatureInput::new(method, path, signed_at, body).unwrap();
            assert_eq!(
                verify(&options, &input, &signer, &placeholder, None, &mut key),
                Err(VerifyError::SignatureMismatch)
            );
        }
    }
    // The HTTP page's response example has trailing garbage after the padding.
    assert!(matches!(
        Signature::from_base64(
            "/CjB2L9bcvRg+uP19B4/rqy7Ji9/cqMFPlL3GVCIndnQjYyOpBzJEAl9weDnXm7Jrqa3y6sBC+EYWKThO2r9Bw==+7BvnWKITyGyTwHbb6fVYwRx1I"
        ),
        Err(VerifyError::SignatureEncoding { .. })
    ));
}

#[test]
fn derived_vectors_current_layout() {
    // Section C: `method path signed_at base64(sha256(body))` under the spec's example key.
    let key = PrivateKey::from_pkcs8_base64(
        "MC4CAQAwBQYDK2VwBCIEILrNXhbWxC/MhKQDsJOAAF1FH/R+Am5G/eZKnqNum5ro",
    )
    .unwrap();
    let rows = section_c_rows();
    assert_eq!(rows.len(), 3);
    let options = VerifyOptions::new(Version::V0_6);
    let signer = SignedBy::instance("bob.com");
    for row in rows {
        let [body, signed_string, expected] = row.as_slice() else {
            panic!("row shape {row:?}");
        };
        let body = if *body == "(empty)" { "" } else { body };
        let mut parts = signed_string.splitn(4, ' ');
        let (method, path, signed_at) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap().parse::<u64>().unwrap(),
        );
        // Methods in upper case sign the same string.
        let input =
            SignatureInput::new(&method.to_uppercase(), path, signed_at, body.as_bytes()).unwrap();
        assert_eq!(input.signed_string(), *signed_string);
        let signature = versia_ws::signature::sign(&key, &input);
        assert_eq!(signature.to_base64(), *expected);
        let mut public = key.public_key();
        let verified = verify(
            &options,
            &input,
            &signer,
            &signature,
            Some(UNIX_EPOCH + Duration::from_secs(signed_at + 299)),
            &mut public,
        )
        .unwrap();
        assert_eq!(verified.signed_at, signed_at);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
