//! The one place that names bincode.
//!
//! Every stored value is one schema-version byte followed by the bincode body,
//! so a record written by an older release can be recognised and upgraded on
//! read. A decode that leaves bytes unread is an error, not a success: it means
//! the value was written by a different shape than the one reading it.
//!
//! The daemon's messages use the same encoding, with the protocol version as
//! the leading byte ([`encode_message`], [`decode_message`]).

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Larger values than this are corrupt, not records; it is also the largest
/// message the daemon takes or sends.
pub const LIMIT: usize = 16 << 20;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<LIMIT>()
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("an empty value was found where a {what} record was expected")]
    Empty { what: &'static str },
    #[error(
        "a {what} record was written by a newer caredesk (schema {found}, this build reads up to {known}): \
         upgrade caredesk before using this database"
    )]
    Newer { what: &'static str, found: u8, known: u8 },
    #[error("a {what} record has schema version {found}, which this build cannot read")]
    Unknown { what: &'static str, found: u8 },
    #[error("a {what} record could not be read ({detail}): the database may be damaged")]
    Corrupt { what: &'static str, detail: String },
    #[error("a {what} record could not be written: {detail}")]
    Encode { what: &'static str, detail: String },
}

/// `version` then the body.
pub fn encode<T: Serialize>(what: &'static str, version: u8, value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(128);
    out.push(version);
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| CodecError::Encode { what, detail: e.to_string() })?;
    Ok(out)
}

/// Splits a stored value into its schema version and body.
pub fn split<'a>(what: &'static str, bytes: &'a [u8]) -> Result<(u8, &'a [u8]), CodecError> {
    bytes.split_first().map(|(v, body)| (*v, body)).ok_or(CodecError::Empty { what })
}

/// Decodes a body that must be consumed exactly.
pub fn decode_body<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, CodecError> {
    let (value, read) = bincode::serde::decode_from_slice(body, config())
        .map_err(|e| CodecError::Corrupt { what, detail: e.to_string() })?;
    if read != body.len() {
        return Err(CodecError::Corrupt {
            what,
            detail: format!("{} trailing bytes after the record", body.len() - read),
        });
    }
    Ok(value)
}

/// A message on the daemon's socket: the protocol version, then the body.
pub fn encode_message<T: Serialize>(protocol: u8, value: &T) -> Result<Vec<u8>, CodecError> {
    encode("daemon message", protocol, value)
}

/// Decodes a message that must be of `protocol` and consumed exactly.
pub fn decode_message<T: DeserializeOwned>(protocol: u8, bytes: &[u8]) -> Result<T, CodecError> {
    let what = "daemon message";
    match split(what, bytes)? {
        (v, body) if v == protocol => decode_body(what, body),
        (found, _) => Err(CodecError::Unknown { what, found }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Thing {
        n: u32,
        s: String,
    }

    #[test]
    fn round_trip_keeps_the_version_byte_in_front() {
        let bytes = encode("thing", 7, &Thing { n: 5, s: "x".into() }).unwrap();
        let (v, body) = split("thing", &bytes).unwrap();
        assert_eq!(v, 7);
        assert_eq!(decode_body::<Thing>("thing", body).unwrap(), Thing { n: 5, s: "x".into() });
    }

    #[test]
    fn trailing_bytes_are_corruption() {
        let mut bytes = encode("thing", 1, &Thing { n: 5, s: "x".into() }).unwrap();
        bytes.push(0);
        let err = decode_body::<Thing>("thing", &bytes[1..]).unwrap_err();
        assert!(err.to_string().contains("1 trailing bytes"), "{err}");
    }

    #[test]
    fn empty_and_truncated_values_are_errors() {
        assert!(matches!(split("thing", &[]), Err(CodecError::Empty { .. })));
        let bytes = encode("thing", 1, &Thing { n: 5, s: "hello".into() }).unwrap();
        assert!(decode_body::<Thing>("thing", &bytes[1..bytes.len() - 2]).is_err());
    }
}
