//! The signature headers of `activitystreams_core::http_signatures`: cavage `Signature`
//! values, RFC 9421 `Signature-Input` / `Signature` dictionaries, `Digest` and
//! `Content-Digest` values, and key containers, on arbitrary bytes. Checks: no panic; a parsed
//! cavage header stays within the limits and, written back, parses to the same value; full
//! verification of a request carrying the input refuses (the key never signed it) without
//! panicking; a parsed key writes an SPKI that reads back as the same key.
//!
//! Input layout: `[flags, split, data...]`. `flags` bits 0-1: what the data is (a cavage
//! header, RFC 9421 headers split at `split` into `Signature-Input` and `Signature`, a digest
//! value, a DER key); bit 2: tight limits (64 bytes, 3 components).
#![no_main]

use std::time::{Duration, SystemTime};

use activitystreams_core::http_signatures::{
    CavageSignature, Limits, PrivateKey, PublicKey, Requirements, VerifyOptions, VerifyingKey,
    rfc9421_signature_base, signature_key_id, verify, verify_content_digest, verify_digest,
};
use libfuzzer_sys::fuzz_target;

fn request(headers: &[(&str, &[u8])]) -> Option<http::Request<Vec<u8>>> {
    let mut builder = http::Request::post("https://b.example/inbox?a=1&b=%20")
        .header("host", "b.example")
        .header("date", "Sun, 15 Jun 2025 15:06:40 GMT")
        .header(
            "digest",
            "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=",
        );
    for (name, value) in headers {
        builder = builder.header(*name, http::HeaderValue::from_bytes(value).ok()?);
    }
    builder.body(b"{}".to_vec()).ok()
}

fuzz_target!(|input: &[u8]| {
    let [flags, split, data @ ..] = input else {
        return;
    };
    let limits = if flags & 4 == 0 {
        Limits::default()
    } else {
        Limits::default()
            .with_max_header_bytes(64)
            .with_max_components(3)
    };
    let key = PrivateKey::ed25519_from_seed(&[1; 32])
        .unwrap()
        .public_key();
    let mut resolver = |id: &str| Some(VerifyingKey::new(key.clone(), id.to_owned()));
    let options = VerifyOptions::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000),
        Duration::from_secs(300),
    )
    .with_requirements(Requirements::NONE)
    .with_limits(limits)
    .with_legacy_rsa_1024(true);

    match flags & 3 {
        0 => {
            if let Ok(parsed) = CavageSignature::parse(data, &limits) {
                assert!(data.len() <= limits.max_header_bytes);
                assert!(
                    !parsed.headers.is_empty() && parsed.headers.len() <= limits.max_components
                );
                if let Ok(written) = parsed.to_header_value() {
                    let big = Limits::default().with_max_header_bytes(usize::MAX);
                    assert_eq!(CavageSignature::parse(written.as_bytes(), &big), Ok(parsed));
                }
            }
            if let Some(request) = request(&[("signature", data)]) {
                let _ = signature_key_id(request.headers(), &options);
                assert!(verify(&request, &mut resolver, &options).is_err());
            }
        }
        1 => {
            let (input, signature) = data.split_at(usize::from(*split).min(data.len()));
            if let Some(request) = request(&[("signature-input", input), ("signature", signature)])
            {
                let _ = rfc9421_signature_base(&request, None, &limits);
                let _ = signature_key_id(request.headers(), &options);
                assert!(verify(&request, &mut resolver, &options).is_err());
            }
        }
        2 => {
            let _ = verify_digest(data, b"{}");
            let _ = verify_content_digest(data, b"{}", limits.max_header_bytes);
        }
        _ => {
            if let Ok(public) = PublicKey::from_spki_der(data) {
                let spki = public.to_spki_der().unwrap();
                assert_eq!(PublicKey::from_spki_der(&spki).unwrap(), public);
            }
            if let Ok(text) = std::str::from_utf8(data) {
                let _ = PublicKey::from_pem(text);
                let _ = PrivateKey::from_pem(text);
            }
            if let Ok(private) = PrivateKey::from_pkcs8_der(data) {
                let _ = private.public_key().to_pem().unwrap();
            }
        }
    }
});
