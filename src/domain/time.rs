//! How instants are written down: compact in the store, readable in JSON.
//!
//! bincode reports itself as not human-readable, so stored records carry
//! milliseconds since the epoch; JSON output (the CLI's `--json`, the audit
//! summaries) carries RFC 3339 in UTC. Every `DateTime<Utc>` field of a record
//! goes through one of these two modules so the two forms never drift apart.

use chrono::{DateTime, SecondsFormat, Utc};

/// RFC 3339 in UTC to the second, the form every output of caredesk uses.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    canonical(at).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The one form an instant is kept in: whole milliseconds, with a leap
/// second (23:59:60, which chrono holds as 23:59:59 and a second of
/// nanoseconds) folded into the first moment of the next day. The store
/// keeps milliseconds since the epoch, which cannot say 23:59:60; writing
/// anything else (in JSON, and so in the audit hash) would describe an
/// instant the store does not hold.
pub fn canonical(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

/// Instants from milliseconds since the epoch, for a long run of them
/// that fall on few days (a queue's due times): the calendar date, the
/// costly part of the conversion, is worked out once a day.
#[derive(Debug, Default)]
pub struct FromMillis {
    day: Option<(i64, chrono::NaiveDate)>,
}

impl FromMillis {
    const DAY: i64 = 86_400_000;

    /// The instant, as `DateTime::from_timestamp_millis` gives it.
    pub fn at(&mut self, millis: i64) -> Option<DateTime<Utc>> {
        let (day, of_day) = (millis.div_euclid(Self::DAY), millis.rem_euclid(Self::DAY));
        let date = match self.day {
            Some((known, date)) if known == day => date,
            _ => {
                let date = DateTime::from_timestamp_millis(day.checked_mul(Self::DAY)?)?.date_naive();
                self.day = Some((day, date));
                date
            }
        };
        let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(
            (of_day / 1000) as u32,
            (of_day % 1000) as u32 * 1_000_000,
        )?;
        Some(date.and_time(time).and_utc())
    }
}

pub mod ts {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&super::rfc3339(*at))
        } else {
            // Already canonical: a leap second's milliseconds run on into
            // the next day (see `canonical`), without the round trip.
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
    use chrono::Timelike;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stamped {
        #[serde(with = "ts")]
        at: DateTime<Utc>,
        #[serde(with = "ts_opt")]
        maybe: Option<DateTime<Utc>>,
    }

    /// Any instant chrono holds, leap seconds included.
    fn any_instant() -> impl proptest::strategy::Strategy<Value = DateTime<Utc>> {
        use proptest::prelude::*;
        (-62_135_596_800i64..253_402_300_799, 0u32..2_000_000_000).prop_filter_map(
            "a leap second only at :59",
            |(secs, nanos)| {
                let at = DateTime::from_timestamp(secs, nanos)?;
                (nanos < 1_000_000_000 || at.second() == 59).then_some(at)
            },
        )
    }

    proptest::proptest! {
        #[test]
        fn the_stored_milliseconds_are_those_of_the_canonical_instant(at in any_instant()) {
            proptest::prop_assert_eq!(at.timestamp_millis(), canonical(at).timestamp_millis());
        }

        #[test]
        fn from_millis_gives_what_chrono_gives(mut runs in proptest::collection::vec((-62_135_596_800_000i64..253_402_300_799_999, 0i64..3 * 86_400_000), 1..20)) {
            let mut from = FromMillis::default();
            // Runs of instants close together, as a queue's are, and jumps between them.
            runs.sort();
            for (start, step) in runs {
                for millis in [start, start + step / 7, start + step / 3, start + step] {
                    proptest::prop_assert_eq!(from.at(millis), DateTime::from_timestamp_millis(millis), "{}", millis);
                }
            }
        }
    }

    #[test]
    fn from_millis_refuses_what_chrono_refuses() {
        let mut from = FromMillis::default();
        for millis in [i64::MIN, i64::MAX, 8_210_298_412_800_000, -8_334_632_851_200_001] {
            assert_eq!(from.at(millis), DateTime::from_timestamp_millis(millis), "{millis}");
        }
    }

    #[test]
    fn json_shows_rfc3339_and_round_trips() {
        let at = DateTime::parse_from_rfc3339("2026-12-24T17:00:00Z").unwrap().to_utc();
        let value = Stamped { at, maybe: None };
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(json, r#"{"at":"2026-12-24T17:00:00Z","maybe":null}"#);
        assert_eq!(serde_json::from_str::<Stamped>(&json).unwrap(), value);
    }

    #[test]
    fn an_instant_reads_back_as_it_was_written_in_either_form() {
        let cases = [
            ("2026-12-24T17:00:00Z", "2026-12-24T17:00:00Z"),
            ("2026-06-30T23:59:59.999Z", "2026-06-30T23:59:59Z"),
            // A leap second is the start of the next day, in both forms.
            ("2026-06-30T23:59:60Z", "2026-07-01T00:00:00Z"),
            ("2026-06-30T23:59:60.500Z", "2026-07-01T00:00:00Z"),
            ("2016-12-31T23:59:60+00:00", "2017-01-01T00:00:00Z"),
        ];
        for (given, shown) in cases {
            let at = DateTime::parse_from_rfc3339(given).unwrap().to_utc();
            assert_eq!(rfc3339(at), shown, "{given}");
            // Through the store's own encoding, which is not human-readable.
            let stored = crate::store::encode_message(1, &Stamped { at, maybe: Some(at) }).unwrap();
            let back: Stamped = crate::store::decode_message(1, &stored).unwrap();
            assert_eq!(rfc3339(back.at), shown, "{given} read back from the store");
            assert_eq!(back.at, canonical(at), "{given}");
            let json: Stamped = serde_json::from_str(&serde_json::to_string(&back).unwrap()).unwrap();
            assert_eq!(json.at, back.at.with_nanosecond(0).unwrap(), "{given} through JSON");
        }
    }
}
