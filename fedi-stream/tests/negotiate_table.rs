//! Content negotiation on a collection endpoint, as a table: `Accept` values (q-values,
//! wildcards, profiles, parameters, malformed members) and the representation RFC 9110
//! §12.5.1 gives for them, or 406.

use fedi_stream::c2s::negotiate::{
    AcceptLimits, NegotiationError, Negotiator, Representation, last_event_id, not_acceptable,
    resume_id,
};
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, VARY};
use http::{HeaderMap, HeaderValue, Request};

use Representation::{ActivityJson, EventStream, LdJson};

const AS2: &str = r#"profile="https://www.w3.org/ns/activitystreams""#;

fn negotiate(negotiator: &Negotiator, accept: Option<&str>) -> Option<Representation> {
    let mut request = Request::get("/users/alice/inbox");
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    match negotiator.negotiate(&request.body(()).unwrap()) {
        Ok(representation) => Some(representation),
        Err(NegotiationError::NotAcceptable { offered }) => {
            assert_eq!(offered, negotiator.offers());
            None
        }
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn collection_endpoint_table() {
    let ld_as2 = format!("application/ld+json; {AS2}");
    let ld_two_profiles = r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams https://w3id.org/security/v1""#;
    let cases: &[(Option<&str>, Option<Representation>, &str)] = &[
        (
            None,
            Some(ActivityJson),
            "no Accept means */*; the server prefers JSON",
        ),
        (Some("*/*"), Some(ActivityJson), "wildcard: server order"),
        (
            Some(""),
            Some(ActivityJson),
            "empty value: no ranges, as absent",
        ),
        (
            Some("text/event-stream"),
            Some(EventStream),
            "EventSource's own Accept",
        ),
        (
            Some("application/activity+json"),
            Some(ActivityJson),
            "AS2 type",
        ),
        (Some(&ld_as2), Some(LdJson), "JSON-LD with the AS2 profile"),
        (
            Some("application/ld+json"),
            Some(LdJson),
            "JSON-LD without profile matches",
        ),
        (
            Some(r#"application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded""#),
            None,
            "another profile does not match",
        ),
        (
            Some(ld_two_profiles),
            Some(LdJson),
            "a profile list containing AS2 matches",
        ),
        (Some("text/*"), Some(EventStream), "type wildcard"),
        (
            Some("application/*"),
            Some(ActivityJson),
            "type wildcard, server order",
        ),
        (Some("text/html"), None, "a browser page: 406"),
        (Some("application/json"), None, "plain JSON is not offered"),
        (
            Some("text/html, */*;q=0.1"),
            Some(ActivityJson),
            "low-weight wildcard still accepts",
        ),
        (
            Some("text/event-stream;q=0.5, application/activity+json;q=0.4"),
            Some(EventStream),
            "highest weight wins",
        ),
        (
            Some("application/activity+json;q=0.9, text/event-stream"),
            Some(EventStream),
            "missing q is 1",
        ),
        (
            Some("*/*;q=0.5, text/event-stream;q=0"),
            Some(ActivityJson),
            "q=0 refuses",
        ),
        (
            Some("application/activity+json;q=0, application/ld+json;q=0, */*"),
            Some(EventStream),
            "specific refusals beat the wildcard",
        ),
        (
            Some("text/event-stream, text/*;q=0"),
            Some(EventStream),
            "the most specific range decides",
        ),
        (
            Some("text/*;q=0, */*"),
            Some(ActivityJson),
            "type wildcard refusal",
        ),
        (Some("*/*;q=0"), None, "everything refused"),
        (
            Some("application/ld+json, application/activity+json"),
            Some(ActivityJson),
            "equal weights: server order",
        ),
        (
            Some(&format!(
                "application/ld+json;{AS2};q=0.8, application/ld+json;q=0.2, text/event-stream;q=0.5"
            )),
            Some(LdJson),
            "the range with parameters is more specific",
        ),
        (
            Some("APPLICATION/Activity+JSON"),
            Some(ActivityJson),
            "names are case-insensitive",
        ),
        (
            Some(r#"application/ld+json; PROFILE="https://www.w3.org/ns/activitystreams""#),
            Some(LdJson),
            "parameter names too",
        ),
        (
            Some("application/activity+json; charset=utf-8"),
            Some(ActivityJson),
            "UTF-8 charset",
        ),
        (
            Some("application/activity+json; charset=iso-8859-1"),
            None,
            "another charset",
        ),
        (
            Some("text/event-stream; charset=UTF-8"),
            Some(EventStream),
            "charset case",
        ),
        (
            Some("text/event-stream;q=0.001"),
            Some(EventStream),
            "any positive weight",
        ),
        (
            Some("text/event-stream;q=1.000"),
            Some(EventStream),
            "three decimals",
        ),
        (
            Some("text/event-stream ; q=0.5 ; ext=1, application/activity+json;q=0.4"),
            Some(EventStream),
            "accept-ext ignored",
        ),
        (
            Some("application/activity+json;q=2, text/event-stream"),
            Some(EventStream),
            "invalid member skipped",
        ),
        (
            Some("*/json, text/event-stream;q=0.1"),
            Some(EventStream),
            "*/subtype is invalid",
        ),
        (
            Some("nonsense"),
            Some(ActivityJson),
            "no valid member: as absent",
        ),
        (
            Some(r#"text/plain;p="a,b", text/event-stream"#),
            Some(EventStream),
            "commas inside quotes",
        ),
        (
            Some(",,text/event-stream,,"),
            Some(EventStream),
            "empty list members",
        ),
    ];
    let negotiator = Negotiator::collection();
    for (accept, expected, why) in cases {
        assert_eq!(
            negotiate(&negotiator, *accept),
            *expected,
            "Accept: {accept:?} ({why})"
        );
    }
}

#[test]
fn stream_only_endpoint_table() {
    let negotiator = Negotiator::stream_only();
    for (accept, expected) in [
        (None, Some(EventStream)),
        (Some("*/*"), Some(EventStream)),
        (Some("text/event-stream"), Some(EventStream)),
        (Some("application/activity+json"), None),
        (Some("text/event-stream;q=0, */*"), None),
    ] {
        assert_eq!(negotiate(&negotiator, accept), expected, "{accept:?}");
    }
}

#[test]
fn repeated_accept_headers_are_one_list() {
    let mut headers = HeaderMap::new();
    headers.append(ACCEPT, HeaderValue::from_static("text/html"));
    headers.append(ACCEPT, HeaderValue::from_static("text/event-stream"));
    assert_eq!(
        Negotiator::collection().negotiate_headers(&headers),
        Ok(EventStream)
    );
}

#[test]
fn accept_limits_are_typed_errors() {
    let negotiator = Negotiator::collection();
    let many = vec!["a/b"; AcceptLimits::DEFAULT_MAX_RANGES + 1].join(",");
    assert_eq!(
        negotiator.negotiate_accept(many.as_bytes()),
        Err(NegotiationError::AcceptTooLarge {
            limit: "max_ranges",
            max: 64
        })
    );
    let long = format!(
        "text/event-stream;p={}",
        "x".repeat(AcceptLimits::DEFAULT_MAX_HEADER_BYTES)
    );
    assert_eq!(
        negotiator.negotiate_accept(long.as_bytes()),
        Err(NegotiationError::AcceptTooLarge {
            limit: "max_header_bytes",
            max: 8192
        })
    );
    let mut headers = HeaderMap::new();
    for _ in 0..3 {
        headers.append(ACCEPT, HeaderValue::from_str(&"a/b,".repeat(1000)).unwrap());
    }
    assert!(matches!(
        negotiator.negotiate_headers(&headers),
        Err(NegotiationError::AcceptTooLarge {
            limit: "max_header_bytes",
            ..
        })
    ));
}

#[test]
fn responses_carry_type_vary_and_cache_control() {
    for (representation, content_type, no_cache) in [
        (EventStream, "text/event-stream", true),
        (ActivityJson, "application/activity+json", false),
        (
            LdJson,
            r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#,
            false,
        ),
    ] {
        let response = representation.response_builder().body(()).unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[CONTENT_TYPE], content_type);
        assert_eq!(response.headers()[VARY], "Accept");
        assert_eq!(
            response
                .headers()
                .get(CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            no_cache.then_some("no-cache")
        );
    }
    let refused = not_acceptable(Negotiator::collection().offers());
    assert_eq!(refused.status(), 406);
    assert_eq!(refused.headers()[VARY], "Accept");
    let body = std::str::from_utf8(refused.body()).unwrap();
    for representation in [ActivityJson, LdJson, EventStream] {
        assert!(body.contains(representation.content_type()), "{body}");
    }
}

#[test]
fn last_event_id_header_is_ignored_when_empty() {
    let mut headers = HeaderMap::new();
    assert_eq!(last_event_id(&headers), None);
    headers.insert("last-event-id", HeaderValue::from_static(""));
    assert_eq!(last_event_id(&headers), None);
    headers.insert("Last-Event-ID", HeaderValue::from_static("1243243"));
    assert_eq!(last_event_id(&headers), Some("1243243"));
    let websocket = Request::get("/users/alice/ws?token=x&last_event_id=99")
        .body(())
        .unwrap();
    assert_eq!(resume_id(&websocket).as_deref(), Some("99"));
}
