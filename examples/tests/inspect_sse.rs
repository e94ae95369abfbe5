//! End-to-end tests of `fedi-inspect sse decode` and `fedi-inspect sse encode`. Expected lines
//! follow the WHATWG HTML event-stream interpretation and the command's documented format.

mod inspect_common;

use inspect_common::run;

const SPEC_EXAMPLE: &[u8] =
    b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n";

const SPEC_EXAMPLE_OUTPUT: &str = "\
{\"type\":\"message\",\"data\":\"first event\",\"last_event_id\":\"1\"}
{\"type\":\"message\",\"data\":\"second event\",\"last_event_id\":\"\"}
{\"type\":\"message\",\"data\":\" third event\",\"last_event_id\":\"\"}
{\"final_last_event_id\":\"\"}
";

#[test]
fn decodes_the_spec_example_in_any_chunking() {
    for args in [
        &["sse", "decode"][..],
        &["sse", "decode", "--chunk", "1"],
        &["sse", "decode", "--chunk", "7"],
    ] {
        let (code, out, err) = run(args, SPEC_EXAMPLE);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, SPEC_EXAMPLE_OUTPUT, "{args:?}");
    }
}

#[test]
fn prints_retries_comments_and_the_final_id_in_stream_order() {
    let input = b"\xEF\xBB\xBF:hello\r\nretry: 2500\r\nevent: inbox\r\ndata: \xff\r\n\r\nretry: +1\nid: 7\n\ndata: tail";
    let (code, out, err) = run(
        &[
            "sse",
            "decode",
            "--comments",
            "--last-event-id",
            "6",
            "--chunk",
            "3",
        ],
        input,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"comment\":\"hello\"}\n\
         {\"retry\":2500}\n\
         {\"type\":\"inbox\",\"data\":\"\u{fffd}\",\"last_event_id\":\"6\"}\n\
         {\"final_last_event_id\":\"7\"}\n"
    );
}

#[test]
fn a_cr_only_stream_delivers_its_last_event() {
    let (code, out, _) = run(&["sse", "decode", "--chunk", "1"], b"data:a\rdata:b\r\r");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"type\":\"message\",\"data\":\"a\\nb\",\"last_event_id\":\"\"}\n{\"final_last_event_id\":\"\"}\n"
    );
}

#[test]
fn reports_limits_and_exits_1() {
    let (code, out, err) = run(
        &["sse", "decode", "--max-event-size", "3"],
        b"data: 1234\n\ndata: 123\n\n",
    );
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "{\"type\":\"message\",\"data\":\"123\",\"last_event_id\":\"\"}\n{\"final_last_event_id\":\"\"}\n"
    );
    assert!(err.contains("Limits::max_event_size"), "{err}");
}

#[test]
fn refuses_a_zero_chunk_size_as_a_usage_error() {
    let (code, _, err) = run(&["sse", "decode", "--chunk", "0"], b"");
    assert_eq!(code, 2, "{err}");
}

#[test]
fn encodes_json_lines() {
    let input = b"{\"event\":\"inbox\",\"data\":\"a\\nb\",\"id\":\"1\",\"retry\":500}\n\n{\"comment\":\"keep-alive\"}\n{\"data\":\" x\"}\n";
    let (code, out, err) = run(&["sse", "encode"], input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "event: inbox\nid: 1\nretry: 500\ndata: a\ndata: b\n\n: keep-alive\ndata:  x\n\n"
    );
    // And back: the decoder reads what the encoder wrote.
    let (code, decoded, _) = run(&["sse", "decode"], out.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(
        decoded,
        "{\"retry\":500}\n\
         {\"type\":\"inbox\",\"data\":\"a\\nb\",\"last_event_id\":\"1\"}\n\
         {\"type\":\"message\",\"data\":\" x\",\"last_event_id\":\"1\"}\n\
         {\"final_last_event_id\":\"1\"}\n"
    );
}

#[test]
fn encode_refuses_what_sse_cannot_carry() {
    for (input, needle) in [
        (&b"{\"event\":\"a\\nb\"}\n"[..], "line break"),
        (b"{\"id\":\"a\\u0000\"}\n", "NULL"),
        (b"{\"data\":1}\n", "line 1"),
        (b"{\"data\":\"x\"}\n{\"colour\":\"red\"}\n", "line 2"),
    ] {
        let (code, out, err) = run(&["sse", "encode"], input);
        assert_eq!(code, 1, "{input:?}");
        assert!(out.is_empty());
        assert!(err.contains(needle), "{err}");
    }
}
