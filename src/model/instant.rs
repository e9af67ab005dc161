//! Instants as the documents write them: RFC 3339 in UTC with whole seconds
//! (`2024-07-05T09:30:00Z`). [`IssuedAt`] is a document's issue time, kept as
//! Unix seconds and turned into text only where bytes are written; the
//! functions are for the other times the office writes (trust lists,
//! statuses, certificates' validity in messages).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// When a document was issued: an instant in whole seconds, written as RFC
/// 3339 in UTC (`2024-07-05T09:30:00Z`) in manifests and printed pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IssuedAt(i64);

impl IssuedAt {
    /// The instant `seconds` after 1970-01-01T00:00:00Z.
    pub fn from_unix_seconds(seconds: i64) -> IssuedAt {
        IssuedAt(seconds)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Reads RFC 3339 text (any offset).
    pub fn parse(text: &str) -> Option<IssuedAt> {
        parse_rfc3339(text).map(IssuedAt)
    }
}

impl fmt::Display for IssuedAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_rfc3339(self.0))
    }
}

impl Serialize for IssuedAt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for IssuedAt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IssuedAt, D::Error> {
        let text = String::deserialize(d)?;
        IssuedAt::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("the issue time `{text}` is not a valid time"))
        })
    }
}

/// The current time as RFC 3339 UTC with whole seconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    format_rfc3339(now.unix_timestamp())
}

/// A Unix time (seconds) as RFC 3339 UTC.
pub fn format_rfc3339(unix_seconds: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Parses RFC 3339 into Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_times_are_written_as_rfc3339_in_utc_and_read_back() {
        let t = IssuedAt::from_unix_seconds(1_720_171_800);
        assert_eq!(t.to_string(), "2024-07-05T09:30:00Z");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2024-07-05T09:30:00Z\""
        );
        assert_eq!(IssuedAt::parse("2024-07-05T16:30:00+07:00"), Some(t));
        let back: IssuedAt = serde_json::from_str("\"2024-07-05T09:30:00Z\"").unwrap();
        assert_eq!(back, t);
        assert!(serde_json::from_str::<IssuedAt>("\"yesterday\"").is_err());
    }
}
