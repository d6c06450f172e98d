//! Loads organisations, personal accounts or shared mailboxes from a CSV file.
//!
//! Two passes, so that a file with mistakes changes nothing: the first reads
//! and checks every line (with the same validators and rules the service
//! applies, against the database and against the earlier lines of the file)
//! and collects every bad line with what to fix; the second runs one service
//! command per record, so each imported record is validated again and
//! audited like one typed at the console. The commands are written in
//! batches of [`BATCH_RECORDS`] lines, each batch in one transaction (see
//! `Service::batch`): a crash leaves whole batches, never a record without
//! its audit entry. This module must
//! not write to the store itself, and must not write anything while a file
//! still has bad lines, unless the operator asked to skip them.

mod checks;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use crate::domain::permission::Action;
use crate::domain::refusal::Refusal;
use crate::domain::routing::UnknownName;
use crate::domain::validate::{OdsCode, ValidationError};
use crate::service::{Ctx, Request, Service, ServiceError};
use crate::store::{BATCH_RECORDS, StoreError};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Orgs,
    Accounts,
    Mailboxes,
}

impl ImportKind {
    /// The columns a file must have, then those it may have.
    fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            ImportKind::Orgs => (&["ods", "name", "ig_status"], &["administered_by"]),
            ImportKind::Accounts => (&["first_name", "last_name", "mobile", "ods", "email"], &[]),
            ImportKind::Mailboxes => (&["address", "name", "ods", "owner"], &["sponsored_by", "members"]),
        }
    }

    fn expected(self) -> String {
        let (required, optional) = self.columns();
        let optional = optional.iter().map(|c| format!("[{c}]"));
        required.iter().map(|c| c.to_string()).chain(optional).collect::<Vec<_>>().join(",")
    }

    fn slug(self) -> &'static str {
        match self {
            ImportKind::Orgs => "orgs",
            ImportKind::Accounts => "accounts",
            ImportKind::Mailboxes => "mailboxes",
        }
    }
}

impl FromStr for ImportKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<ImportKind, UnknownName> {
        match s.trim().to_ascii_lowercase().as_str() {
            "orgs" => Ok(ImportKind::Orgs),
            "accounts" => Ok(ImportKind::Accounts),
            "mailboxes" => Ok(ImportKind::Mailboxes),
            _ => Err(UnknownName {
                what: "import kind",
                given: s.to_owned(),
                choices: "orgs, accounts, mailboxes".to_owned(),
            }),
        }
    }
}

/// A line that cannot be imported; the header is line 1.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BadLine {
    pub line: u64,
    /// What is wrong and what to change.
    pub reason: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportReport {
    /// Lines imported, each one record (a mailbox with its members).
    pub imported: u64,
    /// Lines left out because the operator asked to skip bad ones.
    pub skipped: Vec<BadLine>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("could not read the file: {0}")]
    Unreadable(String),
    #[error("the file is empty: its first line must name the columns, {expected}")]
    NoHeader { expected: String },
    #[error("the header {problem}: the columns for importing {kind} are {expected}, in any order")]
    BadHeader { problem: String, kind: &'static str, expected: String },
    #[error("{}", list_bad_lines(.0))]
    BadLines(Vec<BadLine>),
    #[error(
        "line {line}: {reason}. The import stopped at that line: {imported} line(s) imported before it stay \
         imported, each recorded in the audit log, and the lines after it were not. Remove the imported lines, \
         fix line {line} and import the rest, or import the rest with --skip-bad"
    )]
    Stopped { line: u64, reason: String, imported: u64 },
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> ImportError {
        ImportError::Service(e.into())
    }
}

/// At most this many bad lines are spelled out in the message; the error
/// itself carries them all.
const LINES_SHOWN: usize = 20;

fn list_bad_lines(lines: &[BadLine]) -> String {
    let mut text =
        format!("{} line{} cannot be imported, so nothing was:", lines.len(), if lines.len() == 1 { "" } else { "s" });
    for bad in lines.iter().take(LINES_SHOWN) {
        text.push_str(&format!("\n{bad}"));
    }
    if lines.len() > LINES_SHOWN {
        text.push_str(&format!("\n… and {} more", lines.len() - LINES_SHOWN));
    }
    text.push_str("\nfix these lines or rerun with --skip-bad to import the others");
    text
}

/// Imports `reader` as `kind`. With `skip_bad`, bad lines are reported and
/// the rest imported; without it, any bad line means nothing is written.
/// `progress` hears (lines written, lines to write).
pub fn import_csv(
    service: &Service,
    ctx: &Ctx,
    kind: ImportKind,
    reader: impl std::io::Read,
    skip_bad: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ImportReport, ImportError> {
    service.authorise(ctx, Action::Import)?;
    let mut check = Check::new(service, kind);
    let (good, bad) = check.read(reader)?;
    if !bad.is_empty() && !skip_bad {
        return Err(ImportError::BadLines(bad));
    }
    let mut report = ImportReport { imported: 0, skipped: bad };
    let total = good.len() as u64;
    for chunk in good.chunks(BATCH_RECORDS) {
        let before = report.clone();
        let done = service.batch(|| write_lines(service, ctx, chunk, skip_bad, &mut report, total, progress));
        match done {
            Ok(written) => written?,
            // Another operator wrote while the batch was being saved, so
            // none of it was: the same lines again, one commit each.
            Err(e) if crate::service::batch_interrupted(&e) => {
                report = before;
                service.store().bulk(|| write_lines(service, ctx, chunk, skip_bad, &mut report, total, progress))?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    progress(total, total);
    report.skipped.sort_by_key(|b| b.line);
    tracing::info!(
        operator = %ctx.operator,
        imported = report.imported,
        skipped = report.skipped.len(),
        "import done: each record has its audit entry"
    );
    Ok(report)
}

/// Writes `lines`, counting them into `report`.
fn write_lines(
    service: &Service,
    ctx: &Ctx,
    lines: &[GoodLine],
    skip_bad: bool,
    report: &mut ImportReport,
    total: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), ImportError> {
    for line in lines {
        progress(report.imported + report.skipped.len() as u64, total);
        match write_line(service, ctx, line) {
            Ok(()) => report.imported += 1,
            Err((reason, error)) if skip_bad && is_about_the_line(&error) => {
                report.skipped.push(BadLine { line: line.line, reason });
            }
            Err((reason, _)) => {
                return Err(ImportError::Stopped { line: line.line, reason, imported: report.imported });
            }
        }
    }
    Ok(())
}

/// A checked line and the commands that import it.
struct GoodLine {
    line: u64,
    commands: Vec<Request>,
}

/// Runs a line's commands; on a refusal, says what was written of it.
fn write_line(service: &Service, ctx: &Ctx, line: &GoodLine) -> Result<(), (String, ServiceError)> {
    for (done, command) in line.commands.iter().enumerate() {
        if let Err(e) = service.dispatch(ctx, command, None) {
            // A mailbox line is the mailbox and then one command per member:
            // the service has no single command for both, so a refusal part
            // way through leaves the mailbox and the members before it.
            let reason = match done {
                0 => format!("{e} (nothing of this line was written)"),
                n => format!(
                    "the mailbox was created with {} of its {} listed members, then: {e}; add the rest by hand",
                    n - 1,
                    line.commands.len() - 1
                ),
            };
            return Err((reason, e));
        }
    }
    Ok(())
}

/// Refusals about the data on a line, as opposed to the database failing or
/// the operator losing permission, which stop the import whatever was asked.
fn is_about_the_line(error: &ServiceError) -> bool {
    match error {
        ServiceError::Invalid(_) | ServiceError::Refused(_) | ServiceError::NotFound { .. } => true,
        ServiceError::BadInput(_) => true,
        ServiceError::Store(e) => matches!(e, StoreError::Taken { .. } | StoreError::Exists { .. }),
        _ => false,
    }
}

/// Why a line is bad, or why checking had to stop.
enum Bad {
    Line(String),
    Fatal(ServiceError),
}

impl From<String> for Bad {
    fn from(reason: String) -> Bad {
        Bad::Line(reason)
    }
}
impl From<ValidationError> for Bad {
    fn from(e: ValidationError) -> Bad {
        Bad::Line(e.to_string())
    }
}
impl From<Refusal> for Bad {
    fn from(e: Refusal) -> Bad {
        Bad::Line(e.to_string())
    }
}
impl From<StoreError> for Bad {
    fn from(e: StoreError) -> Bad {
        Bad::Fatal(e.into())
    }
}
impl From<ServiceError> for Bad {
    fn from(e: ServiceError) -> Bad {
        Bad::Fatal(e)
    }
}

/// The first pass: what the file says, checked line by line against the
/// database and the lines before.
struct Check<'a> {
    service: &'a Service,
    kind: ImportKind,
    /// Where each expected column is in the file.
    positions: HashMap<&'static str, usize>,
    /// Keys already on an earlier line (ODS codes, mobiles, addresses…),
    /// with that line's number.
    seen: HashMap<String, u64>,
    /// ODS codes of earlier good lines of an organisations file, which later
    /// lines may name as their sponsor.
    new_orgs: HashSet<OdsCode>,
}

impl<'a> Check<'a> {
    fn new(service: &'a Service, kind: ImportKind) -> Check<'a> {
        Check { service, kind, positions: HashMap::new(), seen: HashMap::new(), new_orgs: HashSet::new() }
    }

    fn read(&mut self, reader: impl std::io::Read) -> Result<(Vec<GoodLine>, Vec<BadLine>), ImportError> {
        let mut csv = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(reader);
        let header = csv.headers().map_err(|e| ImportError::Unreadable(e.to_string()))?.clone();
        self.map_header(&header)?;
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for record in csv.records() {
            let record = match record {
                Ok(record) => record,
                Err(e) => match e.position() {
                    Some(at) if !matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                        let reason = match e.kind() {
                            csv::ErrorKind::Utf8 { .. } => {
                                "is not valid UTF-8: save the file as \"CSV UTF-8\" and import it again".to_owned()
                            }
                            _ => format!("cannot be read: {e}"),
                        };
                        bad.push(BadLine { line: at.line(), reason });
                        continue;
                    }
                    _ => return Err(ImportError::Unreadable(e.to_string())),
                },
            };
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(str::is_empty) {
                continue;
            }
            if record.len() != header.len() {
                let reason = format!(
                    "has {} fields but the header has {}: check for a missing or extra comma, and put values \
                     that contain commas in double quotes",
                    record.len(),
                    header.len()
                );
                bad.push(BadLine { line, reason });
                continue;
            }
            let field = |name: &str| self.positions.get(name).and_then(|i| record.get(*i)).unwrap_or("").to_owned();
            let fields: HashMap<&'static str, String> =
                self.positions.keys().map(|name| (*name, field(name))).collect();
            let checked = match self.kind {
                ImportKind::Orgs => self.organisation(&fields, line),
                ImportKind::Accounts => self.account(&fields, line),
                ImportKind::Mailboxes => self.mailbox(&fields, line),
            };
            match checked {
                Ok(commands) => good.push(GoodLine { line, commands }),
                Err(Bad::Line(reason)) => bad.push(BadLine { line, reason }),
                Err(Bad::Fatal(e)) => return Err(e.into()),
            }
        }
        Ok((good, bad))
    }

    fn map_header(&mut self, header: &csv::StringRecord) -> Result<(), ImportError> {
        let (required, optional) = self.kind.columns();
        let expected = self.kind.expected();
        if header.iter().all(str::is_empty) {
            return Err(ImportError::NoHeader { expected });
        }
        let refuse =
            |problem: String| ImportError::BadHeader { problem, kind: self.kind.slug(), expected: expected.clone() };
        let mut unknown = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.to_ascii_lowercase();
            match required.iter().chain(optional).find(|c| **c == name) {
                Some(column) if self.positions.contains_key(column) => {
                    return Err(refuse(format!("names the column {column:?} twice")));
                }
                Some(column) => {
                    self.positions.insert(column, i);
                }
                None if name.is_empty() => unknown.push(format!("an unnamed column (column {})", i + 1)),
                None => unknown.push(format!("{name:?}")),
            }
        }
        if !unknown.is_empty() {
            return Err(refuse(format!("has column(s) this import does not know: {}", unknown.join(", "))));
        }
        let missing: Vec<&str> = required.iter().copied().filter(|c| !self.positions.contains_key(c)).collect();
        if !missing.is_empty() {
            return Err(refuse(format!("lacks the column(s) {}", missing.join(", "))));
        }
        Ok(())
    }

    /// Refuses a key (an ODS code, a mobile…) already on an earlier line.
    fn once(&mut self, key: String, line: u64, clash: impl FnOnce(u64) -> String) -> Result<(), Bad> {
        match self.seen.get(&key) {
            Some(first) => Err(Bad::Line(clash(*first))),
            None => {
                self.seen.insert(key, line);
                Ok(())
            }
        }
    }
}
