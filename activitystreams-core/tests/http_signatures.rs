//! Signing and verifying both schemes: round trips, and one test per refusal.

use std::time::{Duration, SystemTime};

use activitystreams_core::http_signatures::{
    Algorithm, CavageAlgorithm, CavageSignature, CavageSigner, ComponentError, DigestError,
    KeyError, KeyKind, Limits, ParseError, PrivateKey, PublicKey, Requirements, Rfc9421Signer,
    Scheme, SignError, VerifyError, VerifyOptions, VerifyingKey, content_digest_header,
    digest_header, http_date, rfc9421_signature_base, signature_key_id, verify,
    verify_content_digest, verify_digest,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/http-signatures/");
const KEY_ID: &str = "https://a.example/users/alice#main-key";
const OWNER: &str = "https://a.example/users/alice";

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}{name}")).unwrap()
}

fn rsa() -> PrivateKey {
    PrivateKey::from_pem(&read("rsa-2048.pem")).unwrap()
}

fn ed25519() -> PrivateKey {
    PrivateKey::ed25519_from_seed(&[9; 32]).unwrap()
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn options() -> VerifyOptions {
    VerifyOptions::new(now(), Duration::from_secs(300))
}

fn post(body: &[u8]) -> http::Request<Vec<u8>> {
    http::Request::post("https://b.example/users/bob/inbox?x=1")
        .header("content-type", "application/activity+json")
        .body(body.to_vec())
        .unwrap()
}

fn resolver_for(key: &PrivateKey) -> impl FnMut(&str) -> Option<VerifyingKey> + use<> {
    let public = key.public_key();
    move |id: &str| (id == KEY_ID).then(|| VerifyingKey::new(public.clone(), OWNER))
}

fn cavage_signed(key: &PrivateKey) -> http::Request<Vec<u8>> {
    let mut request = post(b"{\"type\":\"Follow\"}");
    CavageSigner::new(KEY_ID)
        .sign(now(), &mut request, key)
        .unwrap();
    request
}

fn rfc9421_signed(key: &PrivateKey) -> http::Request<Vec<u8>> {
    let mut request = post(b"{\"type\":\"Follow\"}");
    Rfc9421Signer::new(KEY_ID)
        .sign(now(), &mut request, key)
        .unwrap();
    request
}

#[test]
fn cavage_round_trip_with_rsa_and_ed25519() {
    for (key, algorithm, named) in [
        (rsa(), Algorithm::RsaPkcs1Sha256, "rsa-sha256"),
        (ed25519(), Algorithm::Ed25519, "hs2019"),
    ] {
        let request = cavage_signed(&key);
        let headers = request.headers();
        assert_eq!(headers["date"], "Sun, 15 Jun 2025 15:06:40 GMT");
        assert_eq!(headers["host"], "b.example");
        assert_eq!(
            headers["digest"].as_bytes(),
            digest_header(request.body()).as_bytes()
        );
        let signature =
            CavageSignature::parse(headers["signature"].as_bytes(), &Limits::default()).unwrap();
        assert_eq!(signature.algorithm.as_deref(), Some(named));
        assert_eq!(
            signature.headers,
            ["(request-target)", "host", "date", "digest"]
        );
        assert_eq!(
            String::from_utf8(signature.signing_string(&request).unwrap()).unwrap(),
            format!(
                "(request-target): post /users/bob/inbox?x=1\nhost: b.example\ndate: Sun, 15 Jun 2025 15:06:40 GMT\ndigest: {}",
                digest_header(request.body())
            )
        );
        let verified = verify(&request, &mut resolver_for(&key), &options()).unwrap();
        assert_eq!(verified.key_id, KEY_ID);
        assert_eq!(verified.owner, OWNER);
        assert_eq!(verified.algorithm, algorithm);
        assert_eq!(verified.scheme, Scheme::Cavage);
        assert!(verified.body_digest_verified);
    }
}

#[test]
fn cavage_hs2019_with_rsa_and_the_authorization_header() {
    let key = rsa();
    let mut request = post(b"{}");
    CavageSigner::new(KEY_ID)
        .with_algorithm(CavageAlgorithm::Hs2019)
        .sign(now(), &mut request, &key)
        .unwrap();
    let value = request.headers_mut().remove("signature").unwrap();
    let mut authorization = b"Signature ".to_vec();
    authorization.extend_from_slice(value.as_bytes());
    request.headers_mut().insert(
        "authorization",
        http::HeaderValue::from_bytes(&authorization).unwrap(),
    );
    assert_eq!(
        signature_key_id(request.headers(), &options()).unwrap(),
        KEY_ID
    );
    let verified = verify(&request, &mut resolver_for(&key), &options()).unwrap();
    assert_eq!(verified.algorithm, Algorithm::RsaPkcs1Sha256);
}

#[test]
fn rfc9421_round_trip_with_rsa_and_ed25519() {
    for (key, algorithm) in [
        (rsa(), Algorithm::RsaPkcs1Sha256),
        (ed25519(), Algorithm::Ed25519),
    ] {
        let request = rfc9421_signed(&key);
        assert_eq!(
            request.headers()["content-digest"].as_bytes(),
            content_digest_header(request.body()).as_bytes()
        );
        assert_eq!(
            request.headers()["signature-input"],
            format!(
                "sig1=(\"@method\" \"@target-uri\" \"content-digest\");created=1750000000;keyid=\"{KEY_ID}\";alg=\"{}\"",
                algorithm.rfc9421_name()
            )
        );
        let verified = verify(&request, &mut resolver_for(&key), &options()).unwrap();
        assert_eq!(verified.algorithm, algorithm);
        assert_eq!(
            verified.scheme,
            Scheme::Rfc9421 {
                label: "sig1".into()
            }
        );
        assert_eq!(
            verified.covered,
            ["@method", "@target-uri", "content-digest"]
        );
        assert!(verified.body_digest_verified);
    }
}

#[test]
fn signing_is_deterministic() {
    for key in [rsa(), ed25519()] {
        assert_eq!(
            cavage_signed(&key).headers()["signature"],
            cavage_signed(&key).headers()["signature"]
        );
        assert_eq!(
            rfc9421_signed(&key).headers()["signature"],
            rfc9421_signed(&key).headers()["signature"]
        );
    }
}

#[test]
fn tampering_is_refused() {
    let key = ed25519();
    for signed in [cavage_signed(&key), rfc9421_signed(&key)] {
        // Another path.
        let mut request = signed.clone();
        *request.uri_mut() = "https://b.example/users/carol/inbox?x=1".parse().unwrap();
        assert!(matches!(
            verify(&request, &mut resolver_for(&key), &options()),
            Err(VerifyError::BadSignature { .. })
        ));
        // Another body: the digest no longer holds.
        let mut request = signed.clone();
        *request.body_mut() = b"{\"type\":\"Block\"}".to_vec();
        assert!(matches!(
            verify(&request, &mut resolver_for(&key), &options()),
            Err(VerifyError::Digest(DigestError::Mismatch { .. }))
        ));
        // Another key under the same id.
        let other = PrivateKey::ed25519_from_seed(&[10; 32]).unwrap();
        assert!(matches!(
            verify(&signed, &mut resolver_for(&other), &options()),
            Err(VerifyError::BadSignature { .. })
        ));
    }
}

#[test]
fn time_window_and_expiry() {
    let key = ed25519();
    for signed in [cavage_signed(&key), rfc9421_signed(&key)] {
        let late = VerifyOptions::new(now() + Duration::from_secs(301), Duration::from_secs(300));
        assert!(matches!(
            verify(&signed, &mut resolver_for(&key), &late),
            Err(VerifyError::OutsideWindow { seconds: -301 })
        ));
        let early = VerifyOptions::new(now() - Duration::from_secs(301), Duration::from_secs(300));
        assert!(matches!(
            verify(&signed, &mut resolver_for(&key), &early),
            Err(VerifyError::OutsideWindow { seconds: 301 })
        ));
        let edge = VerifyOptions::new(now() + Duration::from_secs(300), Duration::from_secs(300));
        assert!(verify(&signed, &mut resolver_for(&key), &edge).is_ok());
    }
}

#[test]
fn expired_rfc9421_signature_is_refused() {
    let key = ed25519();
    let mut request = post(b"");
    Rfc9421Signer::new(KEY_ID)
        .with_expires_in(Duration::from_secs(10))
        .sign(now(), &mut request, &key)
        .unwrap();
    assert!(
        request.headers()["signature-input"]
            .to_str()
            .unwrap()
            .contains(";created=1750000000;expires=1750000010;")
    );
    let within = VerifyOptions::new(now() + Duration::from_secs(5), Duration::from_secs(5));
    assert!(verify(&request, &mut resolver_for(&key), &within).is_ok());

    // Without `created` (allowed when no time is required), `expires` alone decides.
    let mut request = post(b"");
    request.headers_mut().insert(
        "signature-input",
        format!("sig1=(\"@method\");expires=1749999900;keyid=\"{KEY_ID}\"")
            .parse()
            .unwrap(),
    );
    request
        .headers_mut()
        .insert("signature", "sig1=::".parse().unwrap());
    let base = rfc9421_signature_base(&request, None, &Limits::default()).unwrap();
    assert_eq!(
        String::from_utf8(base.clone()).unwrap(),
        format!(
            "\"@method\": POST\n\"@signature-params\": (\"@method\");expires=1749999900;keyid=\"{KEY_ID}\""
        )
    );
    let signature = key.sign(Algorithm::Ed25519, &base).unwrap();
    request.headers_mut().insert(
        "signature",
        format!("sig1=:{}:", base64_encode(&signature))
            .parse()
            .unwrap(),
    );
    let skew = |seconds| {
        VerifyOptions::new(now(), Duration::from_secs(seconds))
            .with_requirements(Requirements::NONE)
    };
    assert!(verify(&request, &mut resolver_for(&key), &skew(100)).is_ok());
    assert!(matches!(
        verify(&request, &mut resolver_for(&key), &skew(99)),
        Err(VerifyError::Expired)
    ));
    assert!(matches!(
        verify(&request, &mut resolver_for(&key), &options()),
        Err(VerifyError::NotCovered(_))
    ));
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn expired_cavage_signature_is_refused() {
    let key = ed25519();
    let mut request = post(b"");
    request
        .headers_mut()
        .insert("date", http_date(now()).parse().unwrap());
    request
        .headers_mut()
        .insert("host", "b.example".parse().unwrap());
    let mut signature = CavageSignature::parse(
        format!(
            "keyId=\"{KEY_ID}\",algorithm=\"hs2019\",expires=1749999900,headers=\"(request-target) host date (expires)\",signature=\"\""
        )
        .as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    let string = signature.signing_string(&request).unwrap();
    assert!(String::from_utf8_lossy(&string).ends_with("\n(expires): 1749999900"));
    signature.signature = key.sign(Algorithm::Ed25519, &string).unwrap();
    request.headers_mut().insert(
        "signature",
        signature.to_header_value().unwrap().parse().unwrap(),
    );
    let skew = |seconds| VerifyOptions::new(now(), Duration::from_secs(seconds));
    assert!(verify(&request, &mut resolver_for(&key), &skew(100)).is_ok());
    assert!(matches!(
        verify(&request, &mut resolver_for(&key), &skew(99)),
        Err(VerifyError::Expired)
    ));
}

#[test]
fn requirements_refuse_thin_signatures() {
    let key = ed25519();
    let cases: [(&[&str], &str); 4] = [
        (&["host", "date", "digest"], "(request-target)"),
        (&["(request-target)", "date", "digest"], "host"),
        (&["(request-target)", "host", "digest"], "time"),
        (&["(request-target)", "host", "date"], "digest"),
    ];
    for (headers, missing) in cases {
        let mut request = post(b"{}");
        CavageSigner::new(KEY_ID)
            .with_headers(headers.iter().copied())
            .sign(now(), &mut request, &key)
            .unwrap();
        let result = verify(&request, &mut resolver_for(&key), &options());
        match missing {
            "time" => assert!(matches!(result, Err(VerifyError::NoTime))),
            name => assert!(
                matches!(result, Err(VerifyError::NotCovered(n)) if n == name),
                "{name}: {result:?}"
            ),
        }
        let lenient = options().with_requirements(Requirements::NONE);
        assert!(verify(&request, &mut resolver_for(&key), &lenient).is_ok());
    }
    for (components, missing) in [
        (
            &["@target-uri", "content-digest"][..],
            "@method and @target-uri",
        ),
        (&["@method", "@path", "content-digest"][..], "@authority"),
        (&["@method", "@target-uri"][..], "content-digest"),
    ] {
        let mut request = post(b"{}");
        Rfc9421Signer::new(KEY_ID)
            .with_components(components.iter().copied())
            .sign(now(), &mut request, &key)
            .unwrap();
        let result = verify(&request, &mut resolver_for(&key), &options());
        assert!(
            matches!(result, Err(VerifyError::NotCovered(n)) if n == missing),
            "{missing}: {result:?}"
        );
    }
}

#[test]
fn keys_and_algorithms_must_agree() {
    let key = ed25519();
    let request = cavage_signed(&key);
    assert!(matches!(
        verify(&request, &mut |_: &str| None, &options()),
        Err(VerifyError::UnknownKey { key_id }) if key_id == KEY_ID
    ));
    // An Ed25519 signature named rsa-sha256.
    let mut renamed = request.clone();
    let value = renamed.headers()["signature"]
        .to_str()
        .unwrap()
        .replace("hs2019", "rsa-sha256");
    renamed
        .headers_mut()
        .insert("signature", value.parse().unwrap());
    assert!(matches!(
        verify(&renamed, &mut resolver_for(&key), &options()),
        Err(VerifyError::AlgorithmMismatch {
            key: KeyKind::Ed25519,
            ..
        })
    ));
    let value = request.headers()["signature"]
        .to_str()
        .unwrap()
        .replace("hs2019", "hmac-sha256");
    renamed
        .headers_mut()
        .insert("signature", value.parse().unwrap());
    assert!(matches!(
        verify(&renamed, &mut resolver_for(&key), &options()),
        Err(VerifyError::UnsupportedAlgorithm(name)) if name == "hmac-sha256"
    ));
    // RFC 9421: alg naming another key kind, or an unknown algorithm.
    let request = rfc9421_signed(&key);
    for (alg, expect_mismatch) in [("rsa-v1_5-sha256", true), ("ecdsa-p256-sha256", false)] {
        let mut renamed = request.clone();
        let value = request.headers()["signature-input"]
            .to_str()
            .unwrap()
            .replace("ed25519", alg);
        renamed
            .headers_mut()
            .insert("signature-input", value.parse().unwrap());
        let result = verify(&renamed, &mut resolver_for(&key), &options());
        if expect_mismatch {
            assert!(
                matches!(result, Err(VerifyError::AlgorithmMismatch { .. })),
                "{result:?}"
            );
        } else {
            assert!(
                matches!(result, Err(VerifyError::UnsupportedAlgorithm(_))),
                "{result:?}"
            );
        }
    }
    // Signing: rsa-sha256 needs an RSA key; RSA-PSS is never signed.
    let mut request = post(b"");
    assert!(matches!(
        CavageSigner::new(KEY_ID)
            .with_algorithm(CavageAlgorithm::RsaSha256)
            .sign(now(), &mut request, &key),
        Err(SignError::KeyMismatch {
            key: KeyKind::Ed25519,
            ..
        })
    ));
    assert!(matches!(
        rsa().sign(Algorithm::RsaPssSha512, b"x"),
        Err(SignError::NeedsRandomness)
    ));
    // One scheme per request: both use the Signature header.
    let mut cavage = cavage_signed(&key);
    assert!(matches!(
        Rfc9421Signer::new(KEY_ID).sign(now(), &mut cavage, &key),
        Err(SignError::OtherSchemePresent)
    ));
    let mut rfc9421 = rfc9421_signed(&key);
    assert!(matches!(
        CavageSigner::new(KEY_ID).sign(now(), &mut rfc9421, &key),
        Err(SignError::OtherSchemePresent)
    ));
}

#[test]
fn unsigned_and_malformed_headers_are_refused() {
    let key = ed25519();
    assert!(matches!(
        verify(&post(b""), &mut resolver_for(&key), &options()),
        Err(VerifyError::Unsigned)
    ));
    let limits = Limits::default();
    let parse = |value: &str| CavageSignature::parse(value.as_bytes(), &limits);
    assert_eq!(
        parse(r#"keyId="a",keyId="b",signature="""#),
        Err(ParseError::DuplicateParameter("keyid".into()))
    );
    assert_eq!(
        parse(r#"signature="""#),
        Err(ParseError::MissingParameter("keyId"))
    );
    assert_eq!(
        parse(r#"keyId="a",headers=" ",signature="""#),
        Err(ParseError::MissingParameter("headers"))
    );
    assert_eq!(
        parse(r#"keyId="a",signature="***""#),
        Err(ParseError::Base64("signature"))
    );
    assert!(matches!(
        parse(r#"keyId="a,signature="""#),
        Err(ParseError::Syntax { .. })
    ));
    assert!(matches!(
        parse(r#"keyId="a",created=soon,signature="""#),
        Err(ParseError::Syntax { .. })
    ));
    // Unknown parameters are ignored.
    assert_eq!(
        parse(r#"keyId="a",x-y=z,signature="""#).unwrap().key_id,
        "a"
    );
    let long = format!(
        r#"keyId="{}",signature="""#,
        "a".repeat(limits.max_header_bytes)
    );
    assert!(matches!(parse(&long), Err(ParseError::TooLong { .. })));
    let many = format!(
        r#"keyId="a",headers="{}",signature="""#,
        vec!["date"; limits.max_components + 1].join(" ")
    );
    assert!(matches!(parse(&many), Err(ParseError::TooMany { .. })));

    // RFC 9421 headers.
    let signed = rfc9421_signed(&key);
    for (input, signature) in [
        ("sig1=(\"@method\"", None),
        ("sig1=\"@method\";keyid=\"k\"", None),
        ("sig1=(\"@method\");created=1750000000", None),
        ("sig1=(\"@method\");created=1.5;keyid=\"k\"", None),
        (
            "sig1=(\"@method\" \"@method\");created=1750000000;keyid=\"k\"",
            Some("sig1=:AA==:"),
        ),
        (
            "sig1=(\"@status\");created=1750000000;keyid=\"k\"",
            Some("sig1=:AA==:"),
        ),
        (
            "sig1=(\"Date\");created=1750000000;keyid=\"k\"",
            Some("sig1=:AA==:"),
        ),
        (
            "sig1=(\"date\";sf);created=1750000000;keyid=\"k\"",
            Some("sig1=:AA==:"),
        ),
        (
            "sig1=(\"x-absent\");created=1750000000;keyid=\"k\"",
            Some("sig1=:AA==:"),
        ),
        (
            "sig1=(\"@method\");created=1750000000;keyid=\"k\"",
            Some("sig2=:AA==:"),
        ),
        (
            "sig1=(\"@method\");created=1750000000;keyid=\"k\"",
            Some("sig1=\"AA==\""),
        ),
    ] {
        let mut request = signed.clone();
        request
            .headers_mut()
            .insert("signature-input", input.parse().unwrap());
        if let Some(signature) = signature {
            request
                .headers_mut()
                .insert("signature", signature.parse().unwrap());
        }
        let mut resolver = |_: &str| Some(VerifyingKey::new(key.public_key(), OWNER));
        let result = verify(
            &request,
            &mut resolver,
            &options().with_requirements(Requirements::NONE),
        );
        assert!(
            matches!(
                result,
                Err(VerifyError::Parse(_)
                    | VerifyError::NoSuchLabel(_)
                    | VerifyError::Component(
                        ComponentError::Duplicate(_)
                            | ComponentError::Unsupported(_)
                            | ComponentError::MissingHeader(_)
                    ))
            ),
            "{input} {signature:?}: {result:?}"
        );
    }
    let options = options().with_label("other");
    assert!(matches!(
        verify(&signed, &mut resolver_for(&key), &options),
        Err(VerifyError::NoSuchLabel(label)) if label == "other"
    ));
}

#[test]
fn digests_are_checked_over_the_exact_body() {
    let body = b"{\"hello\": \"world\"}";
    // draft-cavage-12 §3.1 and RFC 9530 §B.1 / RFC 9421 §B.2 (the same body).
    assert_eq!(
        digest_header(body),
        "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
    );
    assert_eq!(
        content_digest_header(body),
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    );
    assert_eq!(
        verify_digest(
            b"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
            body
        ),
        Ok(())
    );
    assert_eq!(
        verify_digest(
            b"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
            b"{\"hello\": \"world\"}\n"
        ),
        Err(DigestError::Mismatch {
            header: "Digest",
            algorithm: "SHA-256"
        })
    );
    assert_eq!(
        verify_digest(b"MD5=abc", body),
        Err(DigestError::UnsupportedAlgorithm { header: "Digest" })
    );
    assert_eq!(
        verify_content_digest(
            b"sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            body,
            1024
        ),
        Ok(())
    );
    assert_eq!(
        verify_content_digest(
            b"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
            body,
            1024
        ),
        Err(DigestError::Malformed {
            header: "Content-Digest"
        })
    );
}

#[test]
fn keys_read_from_every_container() {
    let pkcs8 = PrivateKey::from_pem(&read("rsa-2048.pem")).unwrap();
    let pkcs1 = PrivateKey::from_pem(&read("rsa-2048-pkcs1.pem")).unwrap();
    let spki = PublicKey::from_pem(&read("rsa-2048.pub.pem")).unwrap();
    let pkcs1_public = PublicKey::from_pem(&read("rsa-2048-pkcs1.pub.pem")).unwrap();
    assert_eq!(pkcs8.public_key(), spki);
    assert_eq!(pkcs1.public_key(), spki);
    assert_eq!(pkcs1_public, spki);
    assert_eq!(spki.kind(), KeyKind::Rsa);
    // Written back as the SPKI PEM OpenSSL wrote.
    assert_eq!(spki.to_pem().unwrap(), read("rsa-2048.pub.pem"));
    let ed = PrivateKey::from_pem(&read("rfc9421-test-key-ed25519.pem")).unwrap();
    assert_eq!(ed.kind(), KeyKind::Ed25519);
    assert_eq!(
        ed.public_key().to_pem().unwrap(),
        read("rfc9421-test-key-ed25519.pub.pem")
    );

    assert!(matches!(
        PublicKey::from_pem("nonsense"),
        Err(KeyError::Pem(_))
    ));
    assert!(matches!(
        PublicKey::from_pem(&read("rsa-2048.pem")),
        Err(KeyError::UnexpectedLabel(label)) if label == "PRIVATE KEY"
    ));
    // A P-256 key (RFC 9421 B.1.3) is not implemented.
    let p256 = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf\nw0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==\n-----END PUBLIC KEY-----\n";
    assert!(matches!(
        PublicKey::from_pem(p256),
        Err(KeyError::UnsupportedAlgorithm(oid)) if oid == "1.2.840.10045.2.1"
    ));
    assert!(matches!(
        PublicKey::ed25519_from_bytes(&[0; 31]),
        Err(KeyError::Malformed(_))
    ));
    assert!(matches!(
        PrivateKey::from_pkcs1_der(b"\x30\x00"),
        Err(KeyError::Rejected(_))
    ));
    let huge = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        "A".repeat(20_000)
    );
    assert!(matches!(
        PublicKey::from_pem(&huge),
        Err(KeyError::TooLong { .. })
    ));
    // The error chain keeps ring's reason.
    let error = PrivateKey::from_pkcs1_der(b"\x30\x00").unwrap_err();
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn date_must_be_an_imf_fixdate() {
    let key = ed25519();
    // RFC 850 and asctime dates, which HTTP recipients may accept, are refused here.
    for date in [
        "Sunday, 15-Jun-25 15:06:40 GMT",
        "Sun Jun 15 15:06:40 2025",
        "yesterday",
    ] {
        let mut request = cavage_signed(&key);
        request.headers_mut().insert("date", date.parse().unwrap());
        assert!(
            matches!(
                verify(&request, &mut resolver_for(&key), &options()),
                Err(VerifyError::BadDate)
            ),
            "{date}"
        );
    }
}
