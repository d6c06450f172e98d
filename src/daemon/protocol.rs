//! What travels on the daemon's socket.
//!
//! Every message is a frame: a four-byte big-endian length, then the body.
//! A connection opens with a handshake of fixed layout, so that any two
//! releases can read each other's: the client says which protocol it speaks
//! and the daemon answers with its own, and either the operator it
//! recognised or why it refuses. After that, bodies are the service's own
//! enums ([`Request`], [`Answer`], [`ChangeEvent`]) encoded as the store
//! encodes records, with the protocol version as the leading byte: a new
//! operation crosses the socket without a line here.

use std::io::{self, Read, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::import::{BadLine, ImportReport};
use crate::service::{Answer, ChangeEvent, Request, WireError};
use crate::store::{decode_message, encode_message};

/// The version of this protocol. Change it whenever a message changes
/// shape; a client and a daemon of different versions refuse each other
/// at the handshake with a message that says what to do.
pub const PROTOCOL: u16 = 10;

/// The first bytes of both handshake frames.
const MAGIC: &[u8; 8] = b"caredesk";

/// Larger frames are refused: the most the codec decodes as one value, which
/// a bulk import or a long audit listing could reach.
pub const MAX_FRAME: usize = crate::store::MAX_VALUE;

/// Larger hellos are refused unread: ours is a dozen bytes and a release
/// name, and it comes before the peer is known to be an operator.
pub const MAX_HELLO: usize = 1024;

/// The release of this build, named in handshakes and refusals.
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");

/// A request from a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Echoed in the answer.
    pub id: u64,
    /// A supervisor's rehearsal instant; `None` acts at the daemon's time.
    /// The service refuses it from anyone else.
    pub at: Option<DateTime<Utc>>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    /// An operation, with the revision of its record the client saw.
    Run { request: Box<Request>, based_on: Option<u64> },
    /// A CSV import, run whole by the daemon.
    Import { kind: String, csv: String, skip_bad: bool },
    /// What this console has open now (see [`crate::desk::Presence`]).
    Presence(crate::desk::Presence),
}

/// What a request produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Answer(Box<Answer>),
    Imported(ImportReport),
    /// An import that found bad lines and wrote nothing.
    BadLines(Vec<BadLine>),
    /// What the other consoles have open now.
    Present(Vec<crate::desk::Seen>),
}

impl Reply {
    /// The audit entry the request wrote, if it was a change.
    pub fn audit_seq(&self) -> Option<u64> {
        match self {
            Reply::Answer(answer) => answer.audit_seq(),
            Reply::Imported(_) | Reply::BadLines(_) | Reply::Present(_) => None,
        }
    }
}

/// Everything the daemon sends after the handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMessage {
    Answer {
        id: u64,
        result: Result<Reply, WireError>,
    },
    /// Another session changed something.
    Event(ChangeEvent),
    /// Events were dropped because this client fell behind: reload all.
    Lagged,
    /// Another console opened, is typing on, or left something.
    Presence(crate::desk::Seen),
    /// The daemon is stopping; the connection closes next.
    Closing(String),
}

pub fn encode<T: Serialize>(message: &T) -> io::Result<Vec<u8>> {
    encode_message(PROTOCOL as u8, message).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> io::Result<T> {
    decode_message(PROTOCOL as u8, bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

pub fn write_frame(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len()).ok().filter(|n| (*n as usize) <= MAX_FRAME).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a message of {} MiB is larger than the daemon takes ({} MiB)", body.len() >> 20, MAX_FRAME >> 20),
        )
    })?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// The next frame, or `None` when the other side closed between frames.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("a frame of {len} bytes is too large")));
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// The client's opening: the protocol it speaks and its release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub protocol: u16,
    pub release: String,
}

impl Hello {
    pub fn ours() -> Hello {
        Hello { protocol: PROTOCOL, release: RELEASE.to_owned() }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&self.protocol.to_be_bytes());
        out.extend_from_slice(self.release.as_bytes());
        out
    }

    pub fn parse(bytes: &[u8]) -> Option<Hello> {
        let rest = bytes.strip_prefix(MAGIC)?;
        let (protocol, release) = rest.split_first_chunk::<2>()?;
        Some(Hello { protocol: u16::from_be_bytes(*protocol), release: String::from_utf8_lossy(release).into_owned() })
    }
}

/// The daemon's answer to a [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    pub protocol: u16,
    pub release: String,
    /// The operator the daemon recognised, or why it refuses.
    pub verdict: Result<String, String>,
}

impl Welcome {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&self.protocol.to_be_bytes());
        let (status, text) = match &self.verdict {
            Ok(operator) => (0u8, operator),
            Err(reason) => (1u8, reason),
        };
        out.push(status);
        let release = self.release.as_bytes();
        out.push(release.len().min(255) as u8);
        out.extend_from_slice(&release[..release.len().min(255)]);
        out.extend_from_slice(text.as_bytes());
        out
    }

    pub fn parse(bytes: &[u8]) -> Option<Welcome> {
        let rest = bytes.strip_prefix(MAGIC)?;
        let (protocol, rest) = rest.split_first_chunk::<2>()?;
        let (&[status, release_len], rest) = rest.split_first_chunk::<2>()?;
        let release = rest.get(..release_len as usize)?;
        let text = String::from_utf8_lossy(&rest[release_len as usize..]).into_owned();
        Some(Welcome {
            protocol: u16::from_be_bytes(*protocol),
            release: String::from_utf8_lossy(release).into_owned(),
            verdict: if status == 0 { Ok(text) } else { Err(text) },
        })
    }
}

/// Why a client of protocol `theirs` cannot be served, in words for the
/// operator who ran it.
pub fn mismatch(client: &Hello, daemon_protocol: u16, daemon_release: &str) -> String {
    format!(
        "this caredesk ({}, protocol {}) cannot work with the caredesk daemon ({daemon_release}, protocol \
         {daemon_protocol}): use the caredesk installed with the daemon, or ask an administrator to restart the \
         daemon after upgrading so both are the same release",
        client.release, client.protocol
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshakes_read_back() {
        let hello = Hello::ours();
        assert_eq!(Hello::parse(&hello.to_bytes()), Some(hello));
        for verdict in [Ok("nina".to_owned()), Err("no such operator".to_owned())] {
            let welcome = Welcome { protocol: 7, release: "9.9.9".into(), verdict };
            assert_eq!(Welcome::parse(&welcome.to_bytes()), Some(welcome));
        }
        assert_eq!(Hello::parse(b"SSH-2.0-OpenSSH"), None);
    }

    #[test]
    fn frames_round_trip_and_refuse_oversize() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"abc").unwrap();
        write_frame(&mut buf, b"").unwrap();
        let mut r = buf.as_slice();
        assert_eq!(read_frame(&mut r).unwrap(), Some(b"abc".to_vec()));
        assert_eq!(read_frame(&mut r).unwrap(), Some(Vec::new()));
        assert_eq!(read_frame(&mut r).unwrap(), None);
        let huge = ((MAX_FRAME + 1) as u32).to_be_bytes();
        assert!(read_frame(&mut huge.as_slice()).is_err());
        // A frame cut short is an error, not a quiet end.
        assert!(read_frame(&mut [0u8, 0, 0, 5, 1].as_slice()).is_err());
    }

    #[test]
    fn a_message_of_another_protocol_is_refused() {
        let request = Box::new(crate::service::ops::ShowShift {}.into());
        let body = encode(&Envelope { id: 1, at: None, body: Body::Run { request, based_on: None } }).unwrap();
        assert_eq!(decode::<Envelope>(&body).unwrap().id, 1);
        let mut other = body.clone();
        other[0] = other[0].wrapping_add(1);
        assert!(decode::<Envelope>(&other).is_err());
    }
}
