//! Date-times: kept as exact strings, converted to [`chrono`] values on access.

use chrono::{DateTime, FixedOffset};

/// Why a date-time string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// Not an RFC 3339 `date-time` (with the AS2 allowance of omitted seconds); the source is
    /// the parser's reason.
    #[error("invalid date-time {value:?}")]
    Invalid {
        /// The string as written.
        value: String,
        /// The parser's reason.
        #[source]
        source: chrono::ParseError,
    },
}

/// Parses an AS2 date-time: RFC 3339 `date-time`, where AS2 Core §2.3 allows the seconds to be
/// omitted (`2015-01-25T12:34Z`). A missing time-zone offset is an error.
///
/// # Errors
/// [`DateError::Invalid`] with the reason.
pub fn parse_datetime(value: &str) -> Result<DateTime<FixedOffset>, DateError> {
    DateTime::parse_from_rfc3339(value).or_else(|source| {
        with_seconds(value)
            .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
            .ok_or_else(|| DateError::Invalid {
                value: value.to_owned(),
                source,
            })
    })
}

/// `YYYY-MM-DDTHH:MM<offset>` with `:00` seconds inserted.
fn with_seconds(value: &str) -> Option<String> {
    let (minutes, offset) = (value.get(..16)?, value.get(16..)?);
    let bytes = minutes.as_bytes();
    let shaped = bytes.get(13) == Some(&b':') && matches!(bytes.get(10), Some(b'T' | b't' | b' '));
    let offset_follows = matches!(offset.as_bytes().first(), Some(b'Z' | b'z' | b'+' | b'-'));
    (shaped && offset_follows).then(|| format!("{minutes}:00{offset}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc3339_and_as2_minutes_form() {
        let a = parse_datetime("2014-12-12T12:12:12Z").unwrap();
        assert_eq!(a.to_rfc3339(), "2014-12-12T12:12:12+00:00");
        let b = parse_datetime("2015-01-25T12:34Z").unwrap();
        assert_eq!(b.to_rfc3339(), "2015-01-25T12:34:00+00:00");
        let c = parse_datetime("2023-02-04T08:54:15.123+02:00").unwrap();
        assert_eq!(c.offset().local_minus_utc(), 7200);
    }

    #[test]
    fn refuses_missing_offset_and_garbage() {
        assert!(parse_datetime("2007-07-07T03:04:05").is_err());
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("2015-01-25T12:34").is_err());
    }
}
