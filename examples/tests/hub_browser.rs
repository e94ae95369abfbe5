//! The demo page in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `scripts/setup/chromium.sh`) driven over the Chrome DevTools Protocol with
//! tokio-tungstenite. The page's own `WebSocket` must see presence, typing and a posted note,
//! its own `EventSource` the same note in the inbox, and a note posted from the page must reach
//! the other user, all under the page's Content-Security-Policy without a violation (and an
//! injected inline script must be blocked); a screenshot is saved under the test output
//! directory.
//!
//! Skipped with a notice when `/usr/bin/chromium` is missing, unless `FEDI_TEST_STRICT` is set.

mod browser_common;
mod hub_common;

use browser_common::{Browser, Cdp, chromium, output_dir};
use hub_common::{ALICE, BOB, TestHub, bus, next_of_type, post_to_outbox, send_json};
use serde_json::json;

/// JavaScript: whether some element matching `selector` has `needle` in its text.
fn text_contains(selector: &str, needle: &str) -> String {
    format!(
        "[...document.querySelectorAll({})].some(e => e.textContent.includes({}))",
        json!(selector),
        json!(needle)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_sees_posts_presence_and_typing_in_a_real_browser() {
    let Some(executable) = chromium() else {
        return;
    };
    let out = output_dir("hub_browser");
    let hub = TestHub::start().await;
    let mut browser = Browser::launch(executable, &out.join("chromium.log"));
    let mut cdp = Cdp::connect(&browser.devtools_url().await).await;
    cdp.open_page().await;
    // Record every Content-Security-Policy violation of the page (the hub serves it with a
    // CSP; DevTools' own scripts are exempt from it).
    cdp.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "window.cspViolations = [];\
            document.addEventListener('securitypolicyviolation', e =>\
              window.cspViolations.push(e.effectiveDirective + ' ' + e.blockedURI));"}),
    )
    .await;
    cdp.call(
        "Page.navigate",
        json!({"url": format!("{}/#token={ALICE}", hub.base)}),
    )
    .await;

    cdp.wait_for("the logged-in user", &text_contains("#me", "alice"))
        .await;
    cdp.wait_for(
        "an open Bus WebSocket",
        &text_contains("#bus-status", "open"),
    )
    .await;
    // The token left the address bar once read.
    assert_eq!(cdp.evaluate("location.hash").await, json!(""));

    // bob comes online: the browser's WebSocket receives his presence.
    let mut bob = bus(&hub, BOB, &["presence", "action"]).await;
    cdp.wait_for(
        "bob online",
        &text_contains("#people li[data-user=\"bob\"]", "online"),
    )
    .await;

    // bob types to alice: the page shows the indicator.
    send_json(
        &mut bob,
        &json!({"type": "typing", "recipient": "alice", "conversation_id": "dm:alice:bob"}),
    )
    .await;
    cdp.wait_for("bob typing", &text_contains("#typing", "bob is typing"))
        .await;

    // bob posts a note to alice: her page's WebSocket and EventSource both receive it.
    let note = json!({"type": "Note", "content": "Hello from bob",
        "to": [format!("{}/users/alice", hub.base)]});
    let posted = post_to_outbox(&hub.base, "bob", BOB, &note).await;
    assert_eq!(posted.status, 201);
    cdp.wait_for(
        "the note on the Bus WebSocket",
        &text_contains(
            "#events li[data-via=\"bus\"][data-type=\"action\"]",
            "Hello from bob",
        ),
    )
    .await;
    cdp.wait_for(
        "the note on the inbox EventSource",
        &text_contains(
            "#events li[data-via=\"sse\"][data-type=\"inbox\"]",
            "Hello from bob",
        ),
    )
    .await;

    // alice answers from the page's form; bob receives it on the Bus.
    cdp.evaluate(
        "document.getElementById('recipient').value = 'bob';\
         document.getElementById('note').value = 'Hi bob, from the browser';\
         document.getElementById('compose').requestSubmit(); true",
    )
    .await;
    cdp.wait_for(
        "the post confirmed",
        &text_contains("#post-status", "posted"),
    )
    .await;
    // (bob's socket first gets the MSG action of his own note: he is a participant.)
    let answer = loop {
        let action = next_of_type(&mut bob, "action").await;
        if action["issuer"] == "alice" {
            break action;
        }
    };
    assert_eq!(answer["content"], "Hi bob, from the browser", "{answer}");

    // All of the above ran under the page's CSP without a single violation…
    assert_eq!(
        cdp.evaluate("window.cspViolations").await,
        json!([]),
        "console: {:#?}",
        cdp.console
    );
    // …and the CSP is in force: an injected inline script does not run, and is reported.
    cdp.evaluate(
        "const probe = document.createElement('script');\
         probe.textContent = 'window.inlineRan = true';\
         document.body.appendChild(probe); true",
    )
    .await;
    cdp.wait_for(
        "the inline script reported as a violation",
        "window.cspViolations.some(v => v.startsWith('script-src'))",
    )
    .await;
    assert_eq!(
        cdp.evaluate("window.inlineRan === undefined").await,
        json!(true)
    );

    let shot = out.join("page.png");
    let bytes = cdp.screenshot(&shot).await;
    assert!(
        bytes > 5_000,
        "a screenshot of a rendered page, got {bytes} bytes"
    );
    eprintln!("screenshot: {}", shot.display());

    drop(cdp);
    drop(browser);
    hub.stop().await;
}
