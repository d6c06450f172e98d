//! The byte stream under the IMAP client: plain TCP to a server on this
//! machine, or TLS through the same rustls as SMTP submission, verified
//! against the system's CA store (or the PEM file `SSL_CERT_FILE` names,
//! for a private CA).
//!
//! It exists because the IMAP crate's own TLS feature pins an older rustls
//! with advisories against it. It must not relax verification: there is no
//! "accept any certificate" switch.
//!
//! Every connection has explicit time limits, so a server that stops
//! answering costs one bounded wait, never a hung intake thread.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use imap::extensions::idle::SetReadTimeout;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// How long reaching the server may take.
pub const CONNECT_LIMIT: Duration = Duration::from_secs(30);
/// How long one read or write may wait outside IDLE.
pub const IO_LIMIT: Duration = Duration::from_secs(120);

/// A connection to an IMAP server, plain or under TLS.
pub enum MailStream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl MailStream {
    /// Opens TCP to `host:port` with the connection's time limits.
    pub fn tcp(host: &str, port: u16) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in (host, port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, CONNECT_LIMIT) {
                Ok(tcp) => {
                    tcp.set_read_timeout(Some(IO_LIMIT))?;
                    tcp.set_write_timeout(Some(IO_LIMIT))?;
                    return Ok(tcp);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))))
    }

    /// Wraps an open TCP connection in TLS for `host`, and completes the
    /// handshake so that a certificate problem is reported here, as such.
    pub fn tls(host: &str, tcp: TcpStream) -> io::Result<MailStream> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("{host} is not a valid server name")))?;
        let config = client_config()?;
        let connection = ClientConnection::new(config, name).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(connection, tcp);
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        Ok(MailStream::Tls(Box::new(stream)))
    }

    fn tcp_ref(&self) -> &TcpStream {
        match self {
            MailStream::Plain(tcp) => tcp,
            MailStream::Tls(tls) => tls.get_ref(),
        }
    }
}

/// One TLS configuration per process: loading the CA store reads a large
/// file, and it does not change while the daemon runs.
fn client_config() -> io::Result<Arc<ClientConfig>> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let loaded = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
            if added == 0 {
                let why = loaded.errors.first().map(|e| format!(": {e}")).unwrap_or_default();
                return Err(format!(
                    "no CA certificates could be loaded{why}; install ca-certificates, or point SSL_CERT_FILE at the PEM file of the CA that signed the mail server's certificate"
                ));
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
        .map_err(io::Error::other)
}

impl Read for MailStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            MailStream::Plain(tcp) => tcp.read(buf),
            MailStream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for MailStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            MailStream::Plain(tcp) => tcp.write(buf),
            MailStream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            MailStream::Plain(tcp) => tcp.flush(),
            MailStream::Tls(tls) => tls.flush(),
        }
    }
}

impl SetReadTimeout for MailStream {
    /// IDLE sets its own wait and then clears it with `None`; clearing puts
    /// back the connection's own limit rather than waiting forever.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> imap::Result<()> {
        self.tcp_ref().set_read_timeout(Some(timeout.unwrap_or(IO_LIMIT))).map_err(imap::Error::Io)
    }
}
