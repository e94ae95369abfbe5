//! Mastodon's `Account` and `Status` entities built from the hub's accounts and stored AS2
//! activities, and the sanitiser every status `content` goes through.
//!
//! Shapes follow Mastodon's documented entities (4.5): every attribute that is not marked
//! optional is present, ids are strings, dates RFC 3339 in UTC with milliseconds
//! (`2026-01-02T03:04:05.000Z`), account `created_at` at midnight as Mastodon rounds it.
//! What the hub does not track is constant: counts are zero, media, tags and emojis empty,
//! nobody may quote. Avatar and header URLs have Mastodon's default shape
//! (`/avatars/original/missing.png`); the hub does not serve them.
//!
//! # Sanitising
//! `content` is cleaned with [`ammonia`] configured as Mastodon's `MASTODON_STRICT` sanitiser
//! (`lib/sanitize_ext/sanitize_config.rb`): the elements `p br span a del s pre blockquote
//! code b strong u i em ul ol li ruby rt rp`; `lang` anywhere; `href class translate` on `a`,
//! `class translate` on `span`, `class` on `p`, `start reversed` on `ol`, `value` on `li`;
//! classes only microformats (`h-*`, `p-*`, `u-*`, `dt-*`, `e-*`), `mention`, `hashtag`,
//! `ellipsis`, `invisible`, `quote-inline`; `translate` only as `no`; links get
//! `rel="nofollow noopener"` and `target="_blank"`, and only Mastodon's link schemes (`http`,
//! `https`, `dat`, `dweb`, `ipfs`, `ipns`, `ssb`, `gopher`, `xmpp`, `magnet`, `gemini`)
//! keep their `href`. `script` and `style` go with their content; every other element is
//! dropped and its text kept. Two differences from Mastodon, which rewrites elements:
//! a link with another scheme (or a relative one) keeps its text in an `a` without `href`
//! (Mastodon turns it into plain text), and headings become their plain text (Mastodon makes
//! them `<p><strong>`). `spoiler_text` is plain text in Mastodon's API: the AS2 `summary`
//! (HTML) is reduced to its text.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::hub::c2s::USERS;
use crate::hub::store::Entry;

/// Mastodon's `LINK_PROTOCOLS`: the schemes a link may keep.
const LINK_SCHEMES: [&str; 11] = [
    "http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini",
];

/// The sanitiser of status content (see the module documentation).
static CONTENT: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(HashSet::from([
            "p",
            "br",
            "span",
            "a",
            "del",
            "s",
            "pre",
            "blockquote",
            "code",
            "b",
            "strong",
            "u",
            "i",
            "em",
            "ul",
            "ol",
            "li",
            "ruby",
            "rt",
            "rp",
        ]))
        .clean_content_tags(HashSet::from(["script", "style"]))
        .generic_attributes(HashSet::from(["lang"]))
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href", "class", "translate"])),
            ("span", HashSet::from(["class", "translate"])),
            ("ol", HashSet::from(["start", "reversed"])),
            ("li", HashSet::from(["value"])),
            ("p", HashSet::from(["class"])),
        ]))
        .tag_attribute_values(HashMap::new())
        .set_tag_attribute_values(HashMap::from([(
            "a",
            HashMap::from([("target", "_blank")]),
        )]))
        .url_schemes(HashSet::from(LINK_SCHEMES))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("nofollow noopener"))
        .strip_comments(true)
        .attribute_filter(|_element, attribute, value| match attribute {
            "class" => allowed_classes(value),
            "translate" => (value == "no").then_some(Cow::Borrowed(value)),
            _ => Some(Cow::Borrowed(value)),
        });
    builder
});

/// Keeps the classes Mastodon keeps; `None` (drop the attribute) when none is left.
fn allowed_classes(value: &str) -> Option<Cow<'_, str>> {
    let kept: Vec<&str> = value
        .split(['\t', '\n', '\u{c}', '\r', ' '])
        .filter(|class| {
            ["h-", "p-", "u-", "dt-", "e-"]
                .iter()
                .any(|prefix| class.starts_with(prefix))
                || matches!(
                    *class,
                    "mention" | "hashtag" | "ellipsis" | "invisible" | "quote-inline"
                )
        })
        .collect();
    (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
}

/// `html` as Mastodon would show it: only allow-listed elements and attributes.
pub(crate) fn sanitize(html: &str) -> String {
    CONTENT.clean(html).to_string()
}

/// The text of `html`: every element dropped (`script` and `style` with their content).
pub(crate) fn plain_text(html: &str) -> String {
    static TEXT: LazyLock<Builder<'static>> = LazyLock::new(Builder::empty);
    // The serialiser escapes exactly these in text; undo it, `&amp;` last.
    TEXT.clean(html)
        .to_string()
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// The wall clock.
pub(crate) fn now() -> DateTime<Utc> {
    std::time::SystemTime::now().into()
}

/// A date as Mastodon writes it: RFC 3339, UTC, milliseconds.
pub(crate) fn datetime(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What the entities need to know about the hub.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    /// The public URL, without a trailing slash.
    pub(crate) base_url: String,
    /// `created_at` of every local account: the day the hub started, at midnight.
    pub(crate) accounts_created: String,
}

impl Site {
    /// The site of a hub at `base` started at `now`.
    pub(crate) fn new(base: &url::Url, now: DateTime<Utc>) -> Site {
        let midnight = now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map_or(now, |at| at.and_utc());
        Site {
            base_url: base.as_str().trim_end_matches('/').to_owned(),
            accounts_created: datetime(midnight),
        }
    }

    /// The local account name of an actor id, if it is one of this hub's.
    fn local_name<'a>(&self, actor: &'a str) -> Option<&'a str> {
        actor
            .strip_prefix(&self.base_url)?
            .strip_prefix(USERS)
            .filter(|name| !name.is_empty() && !name.contains('/'))
    }

    /// The `Account` of the hub account `name`.
    pub(crate) fn account(&self, name: &str) -> Value {
        let url = format!("{}{USERS}{name}", self.base_url);
        self.account_entity(name, name, name, &url)
    }

    /// The `CredentialAccount` of `name` (`verify_credentials`): the account with its
    /// `source` and `role`.
    pub(crate) fn credential_account(&self, name: &str) -> Value {
        let mut account = self.account(name);
        account["source"] = json!({
            "privacy": "public",
            "sensitive": false,
            "language": "",
            "note": "",
            "fields": [],
            "follow_requests_count": 0,
            "hide_collections": false,
            "discoverable": false,
            "indexable": false,
            "attribution_domains": [],
            "quote_policy": "nobody",
        });
        account["role"] = json!({
            "id": "-99", "name": "", "color": "", "permissions": "0", "highlighted": false,
        });
        account
    }

    /// The `Account` of an actor id seen in an activity (local or not).
    fn actor_account(&self, actor: &str) -> Value {
        if let Some(name) = self.local_name(actor) {
            return self.account(name);
        }
        let (username, acct) = remote_handle(actor);
        self.account_entity(&acct, &username, &acct, actor)
    }

    fn account_entity(&self, id: &str, username: &str, acct: &str, url: &str) -> Value {
        let avatar = format!("{}/avatars/original/missing.png", self.base_url);
        let header = format!("{}/headers/original/missing.png", self.base_url);
        json!({
            "id": id,
            "username": username,
            "acct": acct,
            "url": url,
            "uri": url,
            "display_name": username,
            "note": "",
            "avatar": avatar,
            "avatar_static": avatar,
            "avatar_description": "",
            "header": header,
            "header_static": header,
            "header_description": "",
            "locked": false,
            "fields": [],
            "emojis": [],
            "bot": false,
            "group": false,
            "discoverable": null,
            "indexable": false,
            "noindex": false,
            "created_at": self.accounts_created,
            "last_status_at": null,
            "statuses_count": 0,
            "followers_count": 0,
            "following_count": 0,
            "hide_collections": false,
            "roles": [],
        })
    }

    /// The `Status` of a stored entry that created a Note, and whether it is public; `None`
    /// for every other activity. Its id is the entry's sequence number (the stream's item id).
    pub(crate) fn status(&self, entry: &Entry, now: DateTime<Utc>) -> Option<(Value, bool)> {
        let activity = &*entry.activity;
        if activity.get("type")?.as_str()? != "Create" {
            return None;
        }
        let object = activity.get("object").filter(|o| o.is_object())?;
        if object.get("type").and_then(Value::as_str) != Some("Note") {
            return None;
        }
        let addressed = |key: &str| -> Vec<&str> {
            match object.get(key).or_else(|| activity.get(key)) {
                Some(Value::String(id)) => vec![id.as_str()],
                Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            }
        };
        let (to, cc) = (addressed("to"), addressed("cc"));
        let public = |ids: &[&str]| ids.iter().any(|id| activitystreams_core::is_public(id));
        let collection = |id: &str| id.ends_with("/followers") || id.ends_with("/following");
        let visibility = if public(&to) {
            "public"
        } else if public(&cc) {
            "unlisted"
        } else if to.iter().chain(&cc).any(|id| collection(id)) {
            "private"
        } else {
            "direct"
        };
        let author = activity.get("actor").and_then(Value::as_str).unwrap_or("");
        let created_at = object
            .get("published")
            .and_then(Value::as_str)
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map_or(now, |at| at.with_timezone(&Utc));
        let uri = object.get("id").and_then(Value::as_str).unwrap_or_default();
        let content = object.get("content").and_then(Value::as_str).or_else(|| {
            // A `contentMap` alone: its first language.
            object
                .get("contentMap")
                .and_then(Value::as_object)
                .and_then(|map| map.values().find_map(Value::as_str))
        });
        let spoiler = object.get("summary").and_then(Value::as_str);
        let mut mentioned = Vec::new();
        for id in to.iter().chain(&cc) {
            if !public(&[id]) && !collection(id) && *id != author && !mentioned.contains(id) {
                mentioned.push(*id);
            }
        }
        let mentions: Vec<Value> = mentioned
            .iter()
            .map(|actor| {
                let account = self.actor_account(actor);
                json!({
                    "id": account["id"], "username": account["username"],
                    "url": account["url"], "acct": account["acct"],
                })
            })
            .collect();
        let status = json!({
            "id": entry.seq.to_string(),
            "uri": uri,
            "url": uri,
            "created_at": datetime(created_at),
            "edited_at": null,
            "account": self.actor_account(author),
            "content": content.map(sanitize).unwrap_or_default(),
            "text": null,
            "visibility": visibility,
            "sensitive": object.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
            "spoiler_text": spoiler.map(plain_text).unwrap_or_default(),
            "language": null,
            "in_reply_to_id": null,
            "in_reply_to_account_id": null,
            "reblog": null,
            "poll": null,
            "card": null,
            "quote": null,
            "quote_approval": {"automatic": [], "manual": [], "current_user": "denied"},
            "media_attachments": [],
            "mentions": mentions,
            "tags": [],
            "emojis": [],
            "reblogs_count": 0,
            "favourites_count": 0,
            "quotes_count": 0,
            "replies_count": 0,
            "favourited": false,
            "reblogged": false,
            "muted": false,
            "bookmarked": false,
        });
        Some((status, visibility == "public"))
    }
}

/// `(username, acct)` of a remote actor id: its last path segment, and that `@` its host.
fn remote_handle(actor: &str) -> (String, String) {
    let parsed = url::Url::parse(actor).ok();
    let username = parsed
        .as_ref()
        .and_then(|url| url.path_segments()?.rev().find(|s| !s.is_empty()))
        .unwrap_or(actor)
        .trim_start_matches('@')
        .to_owned();
    let host = parsed.as_ref().and_then(|url| {
        let host = url.host_str()?;
        Some(
            url.port()
                .map_or(host.to_owned(), |port| format!("{host}:{port}")),
        )
    });
    let acct = host.map_or_else(|| username.clone(), |host| format!("{username}@{host}"));
    (username, acct)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn site() -> Site {
        let now = DateTime::parse_from_rfc3339("2026-03-04T05:06:07.891Z")
            .unwrap()
            .with_timezone(&Utc);
        Site::new(&url::Url::parse("http://hub.test:8080").unwrap(), now)
    }

    fn entry(activity: Value) -> Entry {
        Entry {
            seq: 7,
            activity: Arc::new(activity),
            local: true,
        }
    }

    #[test]
    fn hostile_markup_is_removed() {
        let cleaned = sanitize(
            r#"<p>hi<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)" onclick="x()">link</a><style>p{}</style><iframe src="https://e.example"></iframe></p>"#,
        );
        assert_eq!(
            cleaned,
            r#"<p>hi<a target="_blank" rel="nofollow noopener">link</a></p>"#
        );
        let relative = sanitize(r#"<a href="/users/alice">me</a><a href="data:text/html,x">d</a>"#);
        assert!(!relative.contains("href"), "{relative}");
    }

    #[test]
    fn mastodon_formatting_survives() {
        let html = r#"<p lang="en">Hello <span class="h-card"><a href="https://h.example/@bob" class="u-url mention">@<span>bob</span></a></span> <strong>bold</strong> <em>it</em><br><code>x</code></p><ol start="3"><li value="3">a</li></ol><blockquote><del>old</del></blockquote>"#;
        assert_eq!(
            sanitize(html),
            r#"<p lang="en">Hello <span class="h-card"><a href="https://h.example/@bob" class="u-url mention" target="_blank" rel="nofollow noopener">@<span>bob</span></a></span> <strong>bold</strong> <em>it</em><br><code>x</code></p><ol start="3"><li value="3">a</li></ol><blockquote><del>old</del></blockquote>"#
        );
    }

    #[test]
    fn classes_rel_and_translate_follow_mastodon() {
        assert_eq!(
            sanitize(
                r#"<a href="gemini://g.example" rel="me" class="evil hashtag" translate="yes">t</a><span class="invisible x" translate="no">s</span><p class="nope">p</p>"#
            ),
            r#"<a href="gemini://g.example" class="hashtag" rel="nofollow noopener" target="_blank">t</a><span class="invisible" translate="no">s</span><p>p</p>"#
        );
    }

    #[test]
    fn spoiler_text_is_plain_text() {
        assert_eq!(
            plain_text("<b>CW</b> &amp; <script>x</script>1 &lt; 2"),
            "CW & 1 < 2"
        );
    }

    #[test]
    fn statuses_follow_the_documented_entity() {
        let site = site();
        assert_eq!(site.accounts_created, "2026-03-04T00:00:00.000Z");
        let now = super::now();
        let (status, public) = site
            .status(
                &entry(json!({
                    "type": "Create",
                    "actor": "http://hub.test:8080/users/bob",
                    "to": ["http://hub.test:8080/users/alice", "https://far.example/users/carol"],
                    "object": {
                        "type": "Note",
                        "id": "http://hub.test:8080/objects/3",
                        "content": "<p onclick=\"x\">hi</p>",
                        "summary": "<i>cw</i>",
                        "published": "2026-03-04T06:07:08+01:00",
                        "to": ["http://hub.test:8080/users/alice", "https://far.example/users/carol"],
                    },
                })),
                now,
            )
            .unwrap();
        assert!(!public);
        assert_eq!(status["id"], "7");
        assert_eq!(status["created_at"], "2026-03-04T05:07:08.000Z");
        assert_eq!(status["content"], "<p>hi</p>");
        assert_eq!(status["spoiler_text"], "cw");
        assert_eq!(status["visibility"], "direct");
        assert_eq!(status["account"]["acct"], "bob");
        assert_eq!(status["account"]["id"], "bob");
        assert_eq!(status["account"]["url"], "http://hub.test:8080/users/bob");
        let mentions: Vec<&Value> = status["mentions"].as_array().unwrap().iter().collect();
        assert_eq!(mentions.len(), 2);
        assert_eq!(mentions[0]["acct"], "alice");
        assert_eq!(mentions[1]["acct"], "carol@far.example");
        assert_eq!(mentions[1]["username"], "carol");
        for key in [
            "url",
            "in_reply_to_id",
            "reblog",
            "poll",
            "card",
            "language",
        ] {
            assert!(status.get(key).is_some(), "{key} is present");
        }
        let no_date = site
            .status(
                &entry(json!({"type": "Create", "actor": "x", "object": {"type": "Note", "to": "as:Public"}})),
                now,
            )
            .unwrap();
        assert!(no_date.1, "as:Public is public");
        assert_eq!(no_date.0["created_at"], datetime(now));
        assert!(
            site.status(&entry(json!({"type": "Like", "object": "x"})), now)
                .is_none()
        );
    }
}
