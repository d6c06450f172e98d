//! `caredesk serve`: one process owns the database and serves every
//! operator's console and command over a Unix socket.
//!
//! sled lets one process open a database, and a helpdesk is many operators
//! at once, each in an SSH session on one server. The daemon holds the
//! [`Service`](crate::service::Service); each connection is one operator,
//! recognised from the peer credentials of the socket (uid, then user name,
//! then operator record), never from anything the client says. Every request
//! is authorised by the service as it would be in the operator's own process.
//! What one operator changes is pushed to every other connection as an
//! event.

pub mod backups;
mod client;
mod guard;
pub mod notify;
mod outbox;
mod presence;
pub mod protocol;
mod server;
mod socket;

pub use client::{Client, Connection, RemoteDesk};
pub use server::{Daemon, Options, Schedule, StopHandle};
pub use socket::{DEFAULT_GROUP, default_socket};
