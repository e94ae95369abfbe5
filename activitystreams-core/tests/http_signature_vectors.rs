//! The published test vectors: RFC 9421 Appendix B.2 (every case of an implemented algorithm)
//! and draft-cavage-http-signatures-12 Appendix C. See `tests/data/http-signatures/SOURCES.md`.

use std::time::{Duration, SystemTime};

use activitystreams_core::http_signatures::{
    Algorithm, ComponentError, Limits, PrivateKey, PublicKey, Requirements, Scheme, VerifyError,
    VerifyOptions, VerifyingKey, rfc9421_signature_base, verify,
};
use serde_json::Value;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/http-signatures/");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}{name}")).unwrap()
}

/// An `http::Request` from an HTTP/1.1 message text (with an absolute URI built from `Host`).
fn request(name: &str) -> http::Request<Vec<u8>> {
    let text = read(name);
    let (head, body) = text.split_once("\n\n").unwrap();
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap().split(' ');
    let method = request_line.next().unwrap();
    let target = request_line.next().unwrap();
    let mut builder = http::Request::builder().method(method);
    let mut host = String::new();
    for line in lines {
        let (name, value) = line.split_once(": ").unwrap();
        if name.eq_ignore_ascii_case("host") {
            host = value.to_owned();
        }
        builder = builder.header(name, value);
    }
    builder
        .uri(format!("https://{host}{target}"))
        .body(body.trim_end_matches('\n').as_bytes().to_vec())
        .unwrap()
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

fn rfc9421_resolver(key_id: &str) -> Option<VerifyingKey> {
    match key_id {
        "test-key-rsa-pss" => Some(
            VerifyingKey::new(
                PublicKey::from_pem(&read("rfc9421-test-key-rsa-pss.pub.pem")).unwrap(),
                "test-key-rsa-pss owner",
            )
            .with_algorithm(Algorithm::RsaPssSha512),
        ),
        "test-key-ed25519" => Some(VerifyingKey::new(
            PublicKey::from_pem(&read("rfc9421-test-key-ed25519.pub.pem")).unwrap(),
            "test-key-ed25519 owner",
        )),
        _ => None,
    }
}

fn rfc9421_cases() -> Vec<Value> {
    serde_json::from_str(&read("rfc9421-appendix-b2.json")).unwrap()
}

fn with_signature(case: &Value) -> http::Request<Vec<u8>> {
    let mut request = request("rfc9421-test-request.http");
    let headers = request.headers_mut();
    headers.insert(
        "signature-input",
        case["signature_input"].as_str().unwrap().parse().unwrap(),
    );
    headers.insert(
        "signature",
        case["signature"].as_str().unwrap().parse().unwrap(),
    );
    request
}

// The RFC's `created` is 1618884473; verify at that time.
fn rfc9421_options() -> VerifyOptions {
    VerifyOptions::new(at(1_618_884_473), Duration::from_secs(60))
        .with_requirements(Requirements::NONE)
}

#[test]
fn rfc9421_appendix_b2_signature_bases_match() {
    for case in rfc9421_cases() {
        let request = with_signature(&case);
        let base = rfc9421_signature_base(&request, None, &Limits::default()).unwrap();
        assert_eq!(
            String::from_utf8(base).unwrap(),
            case["signature_base"].as_str().unwrap(),
            "{}",
            case["section"]
        );
    }
}

#[test]
fn rfc9421_appendix_b2_signatures_verify() {
    for case in rfc9421_cases() {
        let request = with_signature(&case);
        let verified = verify(&request, &mut rfc9421_resolver, &rfc9421_options())
            .unwrap_or_else(|e| panic!("{}: {e:?}", case["section"]));
        assert_eq!(
            verified.scheme,
            Scheme::Rfc9421 {
                label: case["label"].as_str().unwrap().to_owned()
            }
        );
        let expected = if case["section"] == "B.2.6" {
            Algorithm::Ed25519
        } else {
            Algorithm::RsaPssSha512
        };
        assert_eq!(verified.algorithm, expected);
    }
}

#[test]
fn rfc9421_appendix_b2_refused_when_a_covered_value_changes() {
    for case in rfc9421_cases() {
        if case["section"] == "B.2.1" {
            continue; // covers no component of the message
        }
        let mut request = with_signature(&case);
        request
            .headers_mut()
            .insert("date", "Tue, 20 Apr 2021 02:07:56 GMT".parse().unwrap());
        *request.uri_mut() = "https://example.com/foo?param=Value&Pet=cat"
            .parse()
            .unwrap();
        assert!(
            matches!(
                verify(&request, &mut rfc9421_resolver, &rfc9421_options()),
                Err(VerifyError::BadSignature { .. })
            ),
            "{}",
            case["section"]
        );
    }
}

#[test]
fn rfc9421_b26_ed25519_signature_is_reproduced_exactly() {
    let case = &rfc9421_cases()[3];
    assert_eq!(case["section"], "B.2.6");
    let key = PrivateKey::from_pem(&read("rfc9421-test-key-ed25519.pem")).unwrap();
    assert_eq!(
        key.public_key(),
        PublicKey::from_pem(&read("rfc9421-test-key-ed25519.pub.pem")).unwrap()
    );
    let mut request = request("rfc9421-test-request.http");
    activitystreams_core::http_signatures::Rfc9421Signer::new("test-key-ed25519")
        .with_label("sig-b26")
        .with_components([
            "date",
            "@method",
            "@path",
            "@authority",
            "content-type",
            "content-length",
        ])
        .with_alg_parameter(false)
        .sign(at(1_618_884_473), &mut request, &key)
        .unwrap();
    assert_eq!(
        request.headers()["signature-input"],
        case["signature_input"].as_str().unwrap()
    );
    assert_eq!(
        request.headers()["signature"],
        case["signature"].as_str().unwrap()
    );
}

#[test]
fn rfc9421_rsa_pss_signing_is_refused_but_pss_verification_works() {
    // The RFC's PSS private key is PKCS#8 with the RSASSA-PSS OID, which ring does not read;
    // and RSA-PSS signing would need randomness. The three published PSS signatures verify
    // (above); a key pinned to PSS refuses PKCS#1 v1.5 signatures named as such.
    let case = &rfc9421_cases()[1];
    let mut request = with_signature(case);
    let input = case["signature_input"].as_str().unwrap().to_owned() + ";alg=\"rsa-v1_5-sha256\"";
    request
        .headers_mut()
        .insert("signature-input", input.parse().unwrap());
    assert!(matches!(
        verify(&request, &mut rfc9421_resolver, &rfc9421_options()),
        Err(VerifyError::AlgorithmMismatch { .. })
    ));
}

fn cavage_cases() -> Vec<Value> {
    serde_json::from_str(&read("cavage-12-appendix-c.json")).unwrap()
}

fn cavage_resolver(key_id: &str) -> Option<VerifyingKey> {
    (key_id == "Test").then(|| {
        VerifyingKey::new(
            PublicKey::from_pem(&read("cavage-12-test-key.pub.pem")).unwrap(),
            "Test owner",
        )
    })
}

// The Date of the request: Sun, 05 Jan 2014 21:31:40 GMT.
fn cavage_options() -> VerifyOptions {
    VerifyOptions::new(at(1_388_957_500), Duration::from_secs(60))
        .with_requirements(Requirements::NONE)
        .with_legacy_rsa_1024(true)
}

fn cavage_request(signature: &str) -> http::Request<Vec<u8>> {
    let mut request = request("cavage-12-test-request.http");
    request
        .headers_mut()
        .insert("signature", signature.parse().unwrap());
    request
}

#[test]
fn cavage_12_appendix_c1_and_c2_verify() {
    for case in &cavage_cases()[..2] {
        let signature = case["signature"].as_str().unwrap();
        let request = cavage_request(signature);
        let parsed = activitystreams_core::http_signatures::CavageSignature::parse(
            signature.as_bytes(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(parsed.signing_string(&request).unwrap()).unwrap(),
            case["signing_string"].as_str().unwrap(),
            "{}",
            case["section"]
        );
        let verified = verify(&request, &mut cavage_resolver, &cavage_options())
            .unwrap_or_else(|e| panic!("{}: {e:?}", case["section"]));
        assert_eq!(verified.owner, "Test owner");
        assert_eq!(verified.algorithm, Algorithm::RsaPkcs1Sha256);
        // The draft's key is 1024 bits: refused unless the legacy option is on.
        assert!(matches!(
            verify(
                &request,
                &mut cavage_resolver,
                &cavage_options().with_legacy_rsa_1024(false)
            ),
            Err(VerifyError::BadSignature { .. })
        ));
    }
}

#[test]
fn cavage_12_appendix_c3_as_published_is_refused_and_its_signature_verifies_over_the_printed_string()
 {
    let case = &cavage_cases()[2];
    let published = case["signature"].as_str().unwrap();
    // rsa-sha256 with (created) is an error (draft-cavage-12 §2.3).
    assert!(matches!(
        verify(
            &cavage_request(published),
            &mut cavage_resolver,
            &cavage_options()
        ),
        Err(VerifyError::Component(ComponentError::PseudoHeader(
            "(created)"
        )))
    ));
    // The signature is over the signing string the draft prints: the header of the drafts
    // before 10, without (created), (expires) and their parameters (whose June 2014 time is
    // five months after the request's Date, so the window would refuse it).
    let printed = published
        .replace("created=1402170695, expires=1402170699,", "")
        .replace(
            "(request-target) (created) (expires) host",
            "(request-target) host",
        );
    let request = cavage_request(&printed);
    let parsed = activitystreams_core::http_signatures::CavageSignature::parse(
        printed.as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(parsed.signing_string(&request).unwrap()).unwrap(),
        case["signing_string"].as_str().unwrap()
    );
    let verified = verify(&request, &mut cavage_resolver, &cavage_options()).unwrap();
    assert!(verified.body_digest_verified);
}
