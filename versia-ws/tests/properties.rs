//! Property tests: codec round trips, sign/verify, and batch verdicts equal to single ones.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use versia_ws::batch::{BatchItem, verify_batch};
use versia_ws::entity::Entity;
use versia_ws::message::DEFAULT_MAX_MESSAGE_BYTES;
use versia_ws::path::{encode_path, versia_server_path};
use versia_ws::signature::{SignatureInput, verify, verify_request, verify_request_head};
use versia_ws::{
    PrivateKey, PublicKey, Signature, SignedBy, VerifyError, VerifyOptions, Version,
    WebSocketMessage,
};

/// The wall clock at `unix` seconds.
fn wall(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

proptest! {
    #[test]
    fn message_codec_round_trips(
        signature in ".*", signed_at in ".*", signed_by in ".*", entity in ".*",
    ) {
        let message = WebSocketMessage { signature, signed_at, signed_by, entity };
        let decoded = WebSocketMessage::decode(&message.encode(), DEFAULT_MAX_MESSAGE_BYTES).unwrap();
        prop_assert_eq!(decoded, message);
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = WebSocketMessage::decode(&text, DEFAULT_MAX_MESSAGE_BYTES);
        let _ = Signature::from_base64(&text);
        let _ = PublicKey::from_spki_base64(&text);
        let _ = Entity::from_json(&text);
    }

    #[test]
    fn path_encoding_is_idempotent_and_rfc3986(path in "/[ -~\u{80}-\u{10ffff}]{0,40}") {
        let once = encode_path(&path).into_owned();
        let twice = encode_path(&once).into_owned();
        prop_assert_eq!(twice, once.clone());
        prop_assert!(once.bytes().all(|byte| byte.is_ascii_alphanumeric()
            || b"-._~!$&'()*+,;=:@/%".contains(&byte)));
    }

    #[test]
    fn versia_server_paths_are_serialised_and_escaped(
        path in "[/\\\\.%2eE|^\\[\\]` a-z\t\u{0}-\u{1f}\u{7f}-\u{10ffff}]{0,40}",
    ) {
        let signed = versia_server_path(&path);
        // What `encodeURI` leaves of a serialised path: its unescaped characters, and escapes.
        prop_assert!(signed.starts_with('/'), "{signed}");
        prop_assert!(signed.bytes().all(|byte| byte.is_ascii_alphanumeric()
            || b"-_.!~*'();/:@&=+$,%".contains(&byte)), "{signed}");
        let bytes = signed.as_bytes();
        for (index, _) in signed.match_indices('%') {
            let hex = |at: usize| bytes.get(at).is_some_and(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b));
            prop_assert!(hex(index + 1) && hex(index + 2), "{signed}");
        }
        // The URL parser resolved every dot segment.
        prop_assert!(!signed.split('/').any(|segment| segment == "." || segment == ".."), "{signed}");
    }

}

// Curve arithmetic is slow in debug builds: fewer cases for the crypto properties.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn sign_then_verify_and_any_flip_fails(
        seed in any::<[u8; 32]>(),
        method in "(GET|POST|get|post|Put)",
        path in "/[a-z0-9/ %é]{0,30}",
        body in proptest::collection::vec(any::<u8>(), 0..300),
        signed_at in 0u64..4_000_000_000,
        flip in any::<prop::sample::Index>(),
    ) {
        let key = PrivateKey::from_seed(&seed);
        let input = SignatureInput::new(&method, &path, signed_at, &body).unwrap();
        let signature = versia_ws::signature::sign(&key, &input);
        let options = VerifyOptions::new(Version::V0_6);
        let signer = SignedBy::instance("bob.com");
        let mut public = key.public_key();
        prop_assert!(verify(&options, &input, &signer, &signature, Some(wall(signed_at)), &mut public).is_ok());
        if !body.is_empty() {
            let mut tampered = body.clone();
            let index = flip.index(tampered.len());
            tampered[index] ^= 0x01;
            let other = SignatureInput::new(&method, &path, signed_at, &tampered).unwrap();
            prop_assert_eq!(
                verify(&options, &other, &signer, &signature, None, &mut public),
                Err(VerifyError::SignatureMismatch)
            );
        }
    }

    #[test]
    fn batch_verdicts_equal_single_verdicts(
        corruptions in proptest::collection::vec(0u8..8, 1..24),
    ) {
        let keys: Vec<PrivateKey> = (1..=3u8).map(|i| PrivateKey::from_seed(&[i; 32])).collect();
        let publics: Vec<PublicKey> = keys.iter().map(PrivateKey::public_key).collect();
        let messages: Vec<Vec<u8>> = (0..corruptions.len()).map(|i| format!("message {i}").into_bytes()).collect();
        let signatures: Vec<Signature> = corruptions
            .iter()
            .enumerate()
            .map(|(i, corruption)| corrupt(keys[i % 3].sign_bytes(&messages[i]), *corruption, &keys[i % 3]))
            .collect();
        let items: Vec<BatchItem<'_>> = (0..messages.len())
            .map(|i| BatchItem { key: &publics[i % 3], message: &messages[i], signature: &signatures[i] })
            .collect();
        let batch = verify_batch(&items);
        for (item, verdict) in items.iter().zip(batch) {
            prop_assert_eq!(verdict, item.key.verify_bytes(item.message, item.signature));
        }
    }

}

proptest! {
    #[test]
    fn entities_keep_unknown_members(
        extra in proptest::collection::btree_map("[a-z:._]{1,12}", any::<i64>(), 0..5),
        id in proptest::option::of("[a-zA-Z0-9_-]{1,20}"),
    ) {
        let mut value = serde_json::json!({
            "type": "Follow", "created_at": "2021-01-01T00:00:00Z",
            "author": "a", "followee": "example.com:b",
        });
        let object = value.as_object_mut().unwrap();
        if let Some(id) = &id {
            object.insert("id".into(), id.clone().into());
        }
        for (key, number) in &extra {
            object.entry(key.clone()).or_insert_with(|| (*number).into());
        }
        let entity = Entity::from_value(value.clone()).unwrap();
        prop_assert_eq!(entity.to_value(), value);
        prop_assert_eq!(entity.id(), id.as_deref());
    }
}

/// Kinds of damage: 0-2 none, 3 another message, 4 S + ℓ, 5 small-order R, 6 R not reduced,
/// 7 a flipped bit in S.
fn corrupt(signature: Signature, kind: u8, key: &PrivateKey) -> Signature {
    let mut bytes = signature.to_bytes();
    match kind {
        3 => return key.sign_bytes(b"another message"),
        4 => {
            const ORDER: [u8; 32] = [
                0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
                0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
            ];
            let mut carry = 0u16;
            for (byte, add) in bytes[32..].iter_mut().zip(ORDER) {
                let sum = u16::from(*byte) + u16::from(add) + carry;
                *byte = sum as u8;
                carry = sum >> 8;
            }
        }
        5 => {
            bytes[..32].fill(0);
            bytes[0] = 1;
        }
        6 => {
            bytes[..32].fill(0xff);
            bytes[31] = 0x7f;
        }
        7 => bytes[40] ^= 0x04,
        _ => {}
    }
    Signature::from_bytes(bytes)
}

// The head-first path gives the verdict of the one-shot `verify` over the same request
// (weighted so that about a fifth of the cases verify).
proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn head_then_body_equals_one_shot_verification(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        tamper in prop::bool::weighted(0.25),
        corruption in 0u8..8,
        offset in 0u64..360,
        known in prop::bool::weighted(0.8),
    ) {
        let key = PrivateKey::from_seed(&[3; 32]);
        let signed_at = 1_000_000;
        let mut request = http::Request::post("/.versia/v0.6/inbox").body(body.clone()).unwrap();
        let headers = versia_ws::signature::SignatureHeaders::sign_request(
            &mut request, &key, SignedBy::instance("bob.com"), Version::V0_6, wall(signed_at),
        ).unwrap();
        let signature = corrupt(headers.signature, corruption, &key);
        request.headers_mut().insert("versia-signature", signature.to_base64().parse().unwrap());
        let mut received = body;
        if tamper {
            received.push(b'!');
        }
        let (parts, _) = request.into_parts();
        let head = http::Request::from_parts(parts.clone(), ());
        let now = Some(wall(signed_at + offset));
        let options = VerifyOptions::new(Version::V0_6);
        let public = key.public_key();
        let resolver = move |signer: &SignedBy| {
            (known && signer == &SignedBy::instance("bob.com")).then(|| versia_ws::SignerKey {
                signer: signer.clone(),
                key: public.clone(),
            })
        };

        let two_steps = verify_request_head(&options, &head, now, &mut resolver.clone())
            .and_then(|checked| checked.verify_body(&received));
        let input = SignatureInput::from_parts(&parts, &received, signed_at).unwrap();
        let one_shot = verify(
            &options, &input, &SignedBy::instance("bob.com"), &signature, now, &mut resolver.clone(),
        );
        prop_assert_eq!(&two_steps, &one_shot);
        // And the whole-request form agrees.
        let whole = http::Request::from_parts(parts, received);
        prop_assert_eq!(
            verify_request(&options, &whole, now, &mut resolver.clone()),
            one_shot
        );
    }
}
