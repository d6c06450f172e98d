//! The number a caller reads out over the phone, taken from the terminal
//! without echo, for `account verify-mobile` and `reset-password
//! --verified-by read-out`.
//!
//! The number never comes from the command line, where `ps` and the shell's
//! history would keep it, and it is never printed: the operator learns only
//! whether it matched the registered mobile.

use std::io::{BufRead, IsTerminal, Write};
use std::os::fd::AsFd;

use anyhow::{Context, Result, bail};
use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};

use super::Entry;
use crate::desk::DeskExt;
use crate::service::ops::CheckMobileReadOut;

/// The most a number read out may be: a mobile is 11 to 13 digits, and
/// spaces, a `+` and brackets take a few more.
const MAX_LEN: usize = 40;

/// The number read out did not match the registered mobile: a finished
/// check, not a failure, but a script must be able to tell it apart.
#[derive(Debug, thiserror::Error)]
#[error("the number read out does NOT match the registered mobile of {address}: do not treat the caller as verified")]
pub struct NoMatch {
    address: String,
}

/// `caredesk account verify-mobile ADDRESS`.
pub fn verify(address: String) -> Entry {
    Entry(Box::new(move |desk, json| {
        let number = read_number(&address)?;
        let matches = desk.call(CheckMobileReadOut { address: address.clone(), number })?;
        if json {
            println!("{}", serde_json::json!({ "address": address, "matches": matches }));
        } else if matches {
            println!("the number read out matches the registered mobile of {address}");
        }
        if matches { Ok(()) } else { Err(NoMatch { address }.into()) }
    }))
}

/// Asks for the number the caller reads out, with the terminal's echo off;
/// from a pipe, the first line of standard input.
pub fn read_number(address: &str) -> Result<String> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        let mut err = std::io::stderr();
        write!(err, "number the caller reads out for {address} (not shown): ")?;
        err.flush()?;
        let line = without_echo(&stdin, || read_line(stdin.lock()))?;
        writeln!(err)?;
        line
    } else {
        read_line(stdin.lock())?
    };
    let number = line.trim().to_owned();
    if number.is_empty() {
        bail!("no number was read out: type the digits the caller reads out, then Enter");
    }
    Ok(number)
}

/// One line, at most [`MAX_LEN`] characters, without its line ending.
fn read_line(input: impl BufRead) -> Result<String> {
    let mut buf = Vec::new();
    // One more than allowed, so that a longer line is seen to be longer.
    input
        .take(MAX_LEN as u64 + 1)
        .read_until(b'\n', &mut buf)
        .context("could not read the number from standard input")?;
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    if buf.len() > MAX_LEN {
        bail!("that is longer than any mobile number ({MAX_LEN} characters at most): type only the digits read out");
    }
    String::from_utf8(buf).context("the number read out is not text: type only the digits read out")
}

/// Runs `read` with the terminal's echo off, and puts the terminal back as
/// it was afterwards, whatever `read` returns.
fn without_echo<T>(tty: &impl AsFd, read: impl FnOnce() -> Result<T>) -> Result<T> {
    let before = tcgetattr(tty.as_fd()).context("could not read the terminal's settings")?;
    let mut quiet = before.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    tcsetattr(tty.as_fd(), SetArg::TCSANOW, &quiet).context("could not turn the terminal's echo off")?;
    let result = read();
    let restored = tcsetattr(tty.as_fd(), SetArg::TCSANOW, &before);
    let value = result?;
    restored.context("could not turn the terminal's echo back on: run `stty echo`")?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_loses_its_ending_and_a_line_longer_than_any_number_is_refused() {
        assert_eq!(read_line("07700 900123\r\n".as_bytes()).unwrap(), "07700 900123");
        assert_eq!(read_line("07700900123".as_bytes()).unwrap(), "07700900123");
        let long = format!("{}\n", "7".repeat(MAX_LEN + 1));
        let err = read_line(long.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("longer than any mobile"), "{err}");
        assert!(!err.contains("777"), "the refusal does not repeat what was typed: {err}");
    }
}
