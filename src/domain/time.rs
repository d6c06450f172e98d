//! How instants are written down: compact in the store, readable in JSON.
//!
//! bincode reports itself as not human-readable, so stored records carry
//! milliseconds since the epoch; JSON output (the CLI's `--json`, the audit
//! summaries) carries RFC 3339 in UTC. Every `DateTime<Utc>` field of a record
//! goes through one of these two modules so the two forms never drift apart.

use chrono::{DateTime, SecondsFormat, Utc};

/// RFC 3339 in UTC to the second, the form every output of caredesk uses.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub mod ts {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&super::rfc3339(*at))
        } else {
            s.serialize_i64(at.timestamp_millis())
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            DateTime::parse_from_rfc3339(&text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| D::Error::custom(format!("bad timestamp {text:?}: {e}")))
        } else {
            let millis = i64::deserialize(d)?;
            DateTime::from_timestamp_millis(millis)
                .ok_or_else(|| D::Error::custom(format!("timestamp {millis} ms is out of range")))
        }
    }
}

pub mod ts_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Wrap(#[serde(with = "super::ts")] DateTime<Utc>);

    pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        at.map(Wrap).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stamped {
        #[serde(with = "ts")]
        at: DateTime<Utc>,
        #[serde(with = "ts_opt")]
        maybe: Option<DateTime<Utc>>,
    }

    #[test]
    fn json_shows_rfc3339_and_round_trips() {
        let at = DateTime::parse_from_rfc3339("2026-12-24T17:00:00Z").unwrap().to_utc();
        let value = Stamped { at, maybe: None };
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(json, r#"{"at":"2026-12-24T17:00:00Z","maybe":null}"#);
        assert_eq!(serde_json::from_str::<Stamped>(&json).unwrap(), value);
    }
}
