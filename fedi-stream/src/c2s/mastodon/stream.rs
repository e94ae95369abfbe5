//! Mastodon streaming [`Stream`]s (timelines), by name, by SSE path, and as frame `stream`
//! arrays.

use std::fmt;

use super::MastodonError;

/// The SSE path prefix of Mastodon's streaming API.
pub const STREAMING_PATH: &str = "/api/v1/streaming";

/// Longest hashtag or list id accepted.
const MAX_PARAM_LEN: usize = 256;

/// A Mastodon stream: what a client subscribes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Stream {
    /// `user`: the home timeline and notifications of the user.
    User,
    /// `user:notification`: notifications only.
    UserNotification,
    /// `public`: all public posts known to the server.
    Public,
    /// `public:media`: those with media attachments.
    PublicMedia,
    /// `public:local`: public posts from this server.
    PublicLocal,
    /// `public:local:media`.
    PublicLocalMedia,
    /// `public:remote`: public posts from other servers.
    PublicRemote,
    /// `public:remote:media`.
    PublicRemoteMedia,
    /// `hashtag` with its tag (lowercased, as Mastodon routes it).
    Hashtag(String),
    /// `hashtag:local` with its tag (lowercased).
    HashtagLocal(String),
    /// `list` with the list id.
    List(String),
    /// `direct`: direct conversations.
    Direct,
}

impl Stream {
    /// Every stream name Mastodon documents.
    pub const NAMES: [&'static str; 12] = [
        "user",
        "user:notification",
        "public",
        "public:media",
        "public:local",
        "public:local:media",
        "public:remote",
        "public:remote:media",
        "hashtag",
        "hashtag:local",
        "list",
        "direct",
    ];

    /// The stream's name (`public:local`, `hashtag`, …).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::User => "user",
            Self::UserNotification => "user:notification",
            Self::Public => "public",
            Self::PublicMedia => "public:media",
            Self::PublicLocal => "public:local",
            Self::PublicLocalMedia => "public:local:media",
            Self::PublicRemote => "public:remote",
            Self::PublicRemoteMedia => "public:remote:media",
            Self::Hashtag(_) => "hashtag",
            Self::HashtagLocal(_) => "hashtag:local",
            Self::List(_) => "list",
            Self::Direct => "direct",
        }
    }

    /// The stream named `name`, with its `tag` or `list` parameter when it needs one.
    ///
    /// # Errors
    /// [`MastodonError::UnknownStream`] for other names; [`MastodonError::MissingParameter`]
    /// for `hashtag`/`hashtag:local` without a tag or `list` without a list id;
    /// [`MastodonError::InvalidParameter`] for one longer than 256 bytes or with control
    /// characters.
    pub fn parse(name: &str, tag: Option<&str>, list: Option<&str>) -> Result<Self, MastodonError> {
        let param = |value: Option<&str>, param: &'static str| -> Result<String, MastodonError> {
            let value = value
                .filter(|value| !value.is_empty())
                .ok_or(MastodonError::MissingParameter { param })?;
            if value.len() > MAX_PARAM_LEN || value.chars().any(char::is_control) {
                return Err(MastodonError::InvalidParameter { param });
            }
            Ok(value.to_owned())
        };
        Ok(match name {
            "user" => Self::User,
            "user:notification" => Self::UserNotification,
            "public" => Self::Public,
            "public:media" => Self::PublicMedia,
            "public:local" => Self::PublicLocal,
            "public:local:media" => Self::PublicLocalMedia,
            "public:remote" => Self::PublicRemote,
            "public:remote:media" => Self::PublicRemoteMedia,
            "hashtag" => Self::Hashtag(param(tag, "tag")?.to_lowercase()),
            "hashtag:local" => Self::HashtagLocal(param(tag, "tag")?.to_lowercase()),
            "list" => Self::List(param(list, "list")?),
            "direct" => Self::Direct,
            _ => return Err(MastodonError::UnknownStream),
        })
    }

    /// The stream of an SSE request: `path` under [`STREAMING_PATH`] (`/user`,
    /// `/user/notification`, `/public`, `/public/local`, `/public/remote`, `/hashtag`,
    /// `/hashtag/local`, `/list`, `/direct`) and its query (`only_media=true`, `tag=`, `list=`).
    ///
    /// # Errors
    /// As [`parse`](Self::parse); [`MastodonError::UnknownStream`] for other paths.
    ///
    /// ```
    /// use fedi_stream::c2s::mastodon::Stream;
    ///
    /// let stream = Stream::from_request("/api/v1/streaming/hashtag/local", Some("tag=Rust"))?;
    /// assert_eq!(stream, Stream::HashtagLocal("rust".into()));
    /// assert_eq!(stream.stream_array(), ["hashtag:local", "rust"]);
    /// let media = Stream::from_request("/api/v1/streaming/public/local", Some("only_media=true"))?;
    /// assert_eq!(media.name(), "public:local:media");
    /// # Ok::<(), fedi_stream::c2s::mastodon::MastodonError>(())
    /// ```
    pub fn from_request(path: &str, query: Option<&str>) -> Result<Self, MastodonError> {
        let rest = path
            .strip_prefix(STREAMING_PATH)
            .ok_or(MastodonError::UnknownStream)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let mut tag = None;
        let mut list = None;
        let mut only_media = false;
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "tag" => tag = Some(value.into_owned()),
                "list" => list = Some(value.into_owned()),
                "only_media" => only_media = matches!(value.as_ref(), "true" | "1"),
                _ => {}
            }
        }
        let name = match (rest, only_media) {
            ("/user", _) => "user",
            ("/user/notification", _) => "user:notification",
            ("/public", false) => "public",
            ("/public", true) => "public:media",
            ("/public/local", false) => "public:local",
            ("/public/local", true) => "public:local:media",
            ("/public/remote", false) => "public:remote",
            ("/public/remote", true) => "public:remote:media",
            ("/hashtag", _) => "hashtag",
            ("/hashtag/local", _) => "hashtag:local",
            ("/list", _) => "list",
            ("/direct", _) => "direct",
            _ => return Err(MastodonError::UnknownStream),
        };
        Self::parse(name, tag.as_deref(), list.as_deref())
    }

    /// The `stream` array of WebSocket frames: `[name]`, or `[name, tag]` / `[name, list]`.
    #[must_use]
    pub fn stream_array(&self) -> Vec<String> {
        let mut array = vec![self.name().to_owned()];
        if let Some(param) = self.param() {
            array.push(param.to_owned());
        }
        array
    }

    /// The tag or list id.
    #[must_use]
    pub fn param(&self) -> Option<&str> {
        match self {
            Self::Hashtag(value) | Self::HashtagLocal(value) | Self::List(value) => Some(value),
            _ => None,
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        if let Some(param) = self.param() {
            write!(f, " {param}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back() {
        for name in Stream::NAMES {
            let stream = Stream::parse(name, Some("t"), Some("1")).unwrap();
            assert_eq!(stream.name(), name);
        }
        assert_eq!(
            Stream::parse("home", None, None),
            Err(MastodonError::UnknownStream)
        );
        assert_eq!(
            Stream::parse("list", None, None),
            Err(MastodonError::MissingParameter { param: "list" })
        );
        assert_eq!(
            Stream::parse("hashtag", Some("a\nb"), None),
            Err(MastodonError::InvalidParameter { param: "tag" })
        );
    }

    #[test]
    fn sse_paths() {
        for (path, query, expected) in [
            ("/api/v1/streaming/user", None, Stream::User),
            (
                "/api/v1/streaming/user/notification",
                None,
                Stream::UserNotification,
            ),
            (
                "/api/v1/streaming/public/",
                Some("only_media=1"),
                Stream::PublicMedia,
            ),
            (
                "/api/v1/streaming/public/remote",
                None,
                Stream::PublicRemote,
            ),
            (
                "/api/v1/streaming/list",
                Some("list=12"),
                Stream::List("12".into()),
            ),
            ("/api/v1/streaming/direct", None, Stream::Direct),
        ] {
            assert_eq!(
                Stream::from_request(path, query).unwrap(),
                expected,
                "{path}"
            );
        }
        assert_eq!(
            Stream::from_request("/api/v1/streaming/health", None),
            Err(MastodonError::UnknownStream)
        );
        assert_eq!(
            Stream::from_request("/other/user", None),
            Err(MastodonError::UnknownStream)
        );
    }
}
