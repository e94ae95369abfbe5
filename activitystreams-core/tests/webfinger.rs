//! WebFinger: `acct:` URIs, JRD parsing and building, actor resolution.

use activitystreams_core::webfinger::{
    Acct, Jrd, MAX_ACCT_BYTES, MAX_JRD_BYTES, WebFingerError, WebFingerQuery,
};

// The JRD mastodon.social serves for Gargron (links as Mastodon 4 writes them).
const MASTODON: &str = r#"{"subject":"acct:Gargron@mastodon.social","aliases":["https://mastodon.social/@Gargron","https://mastodon.social/users/Gargron"],"links":[{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://mastodon.social/@Gargron"},{"rel":"self","type":"application/activity+json","href":"https://mastodon.social/users/Gargron"},{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"https://mastodon.social/authorize_interaction?uri={uri}"},{"rel":"http://webfinger.net/rel/avatar","type":"image/png","href":"https://files.mastodon.social/a.png"}]}"#;

#[test]
fn acct_forms_and_refusals() {
    for input in [
        "acct:alice@A.Example",
        "alice@a.example",
        "@alice@a.example",
        "ACCT:alice@a.example",
    ] {
        let acct = Acct::parse(input).unwrap();
        assert_eq!(
            (acct.user(), acct.host()),
            ("alice", "a.example"),
            "{input}"
        );
        assert_eq!(acct.to_string(), "acct:alice@a.example");
    }
    assert_eq!(Acct::parse("acct:a%2Bb@x.example").unwrap().user(), "a+b");
    assert_eq!(Acct::parse("acct:a+b@x.example").unwrap().user(), "a+b");
    for bad in [
        "acct:@a.example",
        "acct:alice@",
        "alice",
        "https://a.example/users/alice",
        "acct:al ice@a.example",
        "acct:alice@exa mple",
    ] {
        assert!(
            matches!(Acct::parse(bad), Err(WebFingerError::InvalidAcct(_))),
            "{bad}"
        );
    }
    let long = format!("acct:{}@a.example", "a".repeat(MAX_ACCT_BYTES));
    assert!(matches!(
        Acct::parse(&long),
        Err(WebFingerError::TooLarge { .. })
    ));
}

#[test]
fn webfinger_url_escapes_the_resource() {
    let acct = Acct::parse("acct:a+b@x.example").unwrap();
    assert_eq!(
        acct.webfinger_url(),
        "https://x.example/.well-known/webfinger?resource=acct%3Aa%2Bb%40x.example"
    );
}

#[test]
fn mastodon_jrd_resolves_to_the_actor() {
    let jrd = Jrd::from_slice(MASTODON.as_bytes()).unwrap();
    assert_eq!(jrd.links.len(), 4);
    assert_eq!(
        jrd.links[2].template.as_deref(),
        Some("https://mastodon.social/authorize_interaction?uri={uri}")
    );
    let acct = Acct::parse("gargron@MASTODON.social").unwrap();
    // The user part is compared as written: Mastodon's subject keeps its case.
    assert!(matches!(
        jrd.resolve(&acct),
        Err(WebFingerError::SubjectMismatch { .. })
    ));
    let acct = Acct::parse("Gargron@MASTODON.social").unwrap();
    assert_eq!(
        jrd.resolve(&acct).unwrap(),
        "https://mastodon.social/users/Gargron"
    );
    let other = Acct::parse("Gargron@evil.example").unwrap();
    assert!(matches!(
        jrd.resolve(&other),
        Err(WebFingerError::SubjectMismatch { .. })
    ));
}

#[test]
fn actor_link_needs_rel_self_and_an_activitypub_type() {
    let jrd = |links: &str| {
        Jrd::from_slice(format!(r#"{{"subject":"acct:a@b.example","links":{links}}}"#).as_bytes())
            .unwrap()
    };
    let acct = Acct::parse("a@b.example").unwrap();
    for links in [
        r#"[{"rel":"self","type":"text/html","href":"https://b.example/@a"}]"#,
        r#"[{"rel":"alternate","type":"application/activity+json","href":"https://b.example/a"}]"#,
        r#"[{"rel":"self","type":"application/activity+json"}]"#,
        r#"[{"rel":"self","type":"application/ld+json","href":"https://b.example/a"}]"#,
    ] {
        assert!(
            matches!(jrd(links).resolve(&acct), Err(WebFingerError::NoActorLink)),
            "{links}"
        );
    }
    let ld = jrd(
        r#"[{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"https://b.example/ld"}]"#,
    );
    assert_eq!(ld.resolve(&acct).unwrap(), "https://b.example/ld");
}

#[test]
fn jrd_built_for_an_actor_reads_back() {
    let acct = Acct::parse("alice@a.example").unwrap();
    let jrd = Jrd::for_actor(
        &acct,
        "https://a.example/users/alice",
        Some("https://a.example/@alice"),
    );
    let json: serde_json::Value = serde_json::from_slice(&jrd.to_vec().unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "subject": "acct:alice@a.example",
            "aliases": ["https://a.example/users/alice", "https://a.example/@alice"],
            "links": [
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://a.example/@alice"},
                {"rel": "self", "type": "application/activity+json", "href": "https://a.example/users/alice"}
            ]
        })
    );
    assert_eq!(Jrd::from_slice(&jrd.to_vec().unwrap()).unwrap(), jrd);
}

#[test]
fn malformed_and_oversized_jrds_are_refused() {
    for body in [&b"{\"links\":{}}"[..], b"{\"subject\":1}", b"not json"] {
        assert!(matches!(
            Jrd::from_slice(body),
            Err(WebFingerError::Json(_))
        ));
    }
    for body in [&b"[]"[..], b"[\"acct:a@b\"]", b"{\"links\":[[\"self\"]]}"] {
        assert!(matches!(
            Jrd::from_slice(body),
            Err(WebFingerError::NotAnObject)
        ));
    }
    let big = format!(r#"{{"subject":"{}"}}"#, "x".repeat(MAX_JRD_BYTES));
    assert!(matches!(
        Jrd::from_slice(big.as_bytes()),
        Err(WebFingerError::TooLarge { .. })
    ));
}

#[test]
fn query_reads_resource_and_rels() {
    let query = WebFingerQuery::parse("rel=self&resource=acct%3Aa%40b.example&rel=x").unwrap();
    assert_eq!(query.resource, "acct:a@b.example");
    assert_eq!(query.rels, ["self", "x"]);
    assert!(matches!(
        WebFingerQuery::parse("rel=self"),
        Err(WebFingerError::MissingResource)
    ));
}

#[test]
fn acct_writes_what_it_reads() {
    for input in [
        "acct:a%25b@x.example",
        "acct:caf%C3%A9@x.example",
        "acct:a.b_c-d~e@x.example",
    ] {
        let acct = Acct::parse(input).unwrap();
        assert_eq!(acct.to_string(), input);
        assert_eq!(Acct::parse(&acct.to_string()).unwrap(), acct);
    }
    assert_eq!(Acct::parse("acct:a%25b@x.example").unwrap().user(), "a%b");
    assert_eq!(
        Acct::parse("acct:caf%C3%A9@x.example").unwrap().user(),
        "café"
    );
}

/// Found by the `webfinger_jrd` fuzz target: a user of `"` and `%` signs read within the limit
/// was written back percent-encoded beyond it, so `to_string` did not parse again; the user
/// had NUL bytes and the host a `&`.
#[test]
fn acct_written_form_stays_within_the_limit() {
    let long = format!("acct:{}@b.example", "\"".repeat(400));
    assert!(long.len() < MAX_ACCT_BYTES);
    assert!(matches!(
        Acct::parse(&long),
        Err(WebFingerError::TooLarge { .. })
    ));
    for bad in [
        "acct:a\0b@b.example",
        "acct:a@b.e&x",
        "acct:a\u{85}@b.example",
    ] {
        assert!(
            matches!(Acct::parse(bad), Err(WebFingerError::InvalidAcct(_))),
            "{bad:?}"
        );
    }
    let artifact =
        include_bytes!("../../fuzz/corpus/webfinger_jrd/regression-acct-written-too-long");
    let parsed = Acct::parse(std::str::from_utf8(artifact).unwrap());
    assert!(parsed.is_err(), "{parsed:?}");
}
