//! Where caredesk's settings come from: flags, then the environment, then
//! the config files, then the defaults, and for each setting which of them
//! gave it, so `caredesk config show` can say.
//!
//! Two files are read: `/etc/caredesk/caredesk.toml` for the server, then
//! `~/.config/caredesk/caredesk.toml` for one person's machine; a key in the
//! per-user file wins over the same key in `/etc`, because it is the more
//! particular of the two. `CAREDESK_CONFIG=FILE` reads that file instead of
//! both. A file holds no secrets: it names the files that do.
//!
//! A key caredesk does not know, or a value it cannot use, stops it with
//! the file, the line and what is allowed: a setting silently ignored is
//! worse than none. This module reads and checks settings; it does not act
//! on them, and it names no database, socket or gateway code.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Spanned, Value};

/// The server's file.
pub const SYSTEM_FILE: &str = "/etc/caredesk/caredesk.toml";

/// Names a file to read instead of the system and per-user files.
pub const CONFIG_ENV: &str = "CAREDESK_CONFIG";

pub const DEFAULT_CACHE_MB: u64 = 256;
/// The largest page cache a file may ask for: 64 GiB.
pub const MAX_CACHE_MB: u64 = 64 << 10;
pub const DEFAULT_LOG_LEVEL: &str = "info,sled=warn";
/// Days of log files kept: two weeks covers a fortnight's rota.
pub const DEFAULT_LOG_KEEP_DAYS: u32 = 14;
pub const MAX_LOG_KEEP_DAYS: u32 = 366;
/// How long the SMS command may take before it is stopped.
pub const DEFAULT_SMS_TIMEOUT_SECS: u64 = 30;
pub const MAX_SMS_TIMEOUT_SECS: u64 = 600;

/// Which layer gave a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Flag(&'static str),
    Env(&'static str),
    File { path: PathBuf, line: usize },
    Default(&'static str),
}

impl Origin {
    /// Higher wins. Files rank by their order: a later file is more
    /// particular than an earlier one.
    fn rank(&self, files: &[PathBuf]) -> usize {
        match self {
            Origin::Default(_) => 0,
            Origin::File { path, .. } => 1 + files.iter().position(|f| f == path).unwrap_or(0),
            Origin::Env(_) => 1 + files.len() + 1,
            Origin::Flag(_) => 1 + files.len() + 2,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Env(var) => write!(f, "environment {var}"),
            Origin::File { path, line } => write!(f, "{} line {line}", path.display()),
            Origin::Default(why) => write!(f, "default ({why})"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    pub fn new(value: T, origin: Origin) -> Setting<T> {
        Setting { value, origin }
    }
}

/// Every setting in force for this invocation.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: Setting<PathBuf>,
    pub socket: Setting<PathBuf>,
    pub cache_mb: Setting<u64>,
    pub log_level: Setting<String>,
    /// The log's name; each day's file is this name and the date.
    pub log_file: Setting<PathBuf>,
    pub log_keep_days: Setting<u32>,
    /// The SMS command; when no file names one, the database's policy
    /// (`caredesk policy sms-command`) decides.
    pub sms_command: Option<Setting<String>>,
    pub sms_timeout_secs: Setting<u64>,
    /// A file of credentials the SMS command reads; its path reaches the
    /// command as `$CAREDESK_SMS_CREDENTIALS`, its contents never pass
    /// through caredesk.
    pub sms_credentials: Option<Setting<PathBuf>>,
    /// The files looked for, in order, and whether each was there.
    pub files: Vec<(PathBuf, bool)>,
}

/// What the command line gave, with clap's word on whether each came from a
/// flag or from its environment variable.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub db: Option<Setting<PathBuf>>,
    pub socket: Option<Setting<PathBuf>>,
    /// `caredesk demo`: its database is never the one a file names, so
    /// rebuilding a demo cannot replace the helpdesk's data.
    pub demo: bool,
}

/// Where settings are read from.
pub struct Sources<'a> {
    pub files: Vec<PathBuf>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Whether the files must exist (a file named by `CAREDESK_CONFIG` must).
    pub required: bool,
}

impl Sources<'_> {
    /// The system file and the user's, or the one `CAREDESK_CONFIG` names.
    pub fn standard() -> Sources<'static> {
        static ENV: fn(&str) -> Option<String> = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(file) = ENV(CONFIG_ENV) {
            return Sources { files: vec![PathBuf::from(file)], env: &ENV, required: true };
        }
        let mut files = vec![PathBuf::from(SYSTEM_FILE)];
        files.extend(dirs::config_dir().map(|d| d.join("caredesk").join("caredesk.toml")));
        Sources { files, env: &ENV, required: false }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{} line {line}: {message}", path.display())]
    Invalid { path: PathBuf, line: usize, message: String },
    #[error("could not read the config file {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("{var}={value:?}: {message}")]
    Env { var: &'static str, value: String, message: String },
}

/// One file as written. Every value is read as a TOML value with its place
/// in the file, so that a wrong type gets the same plain message as a wrong
/// value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    database: DatabaseSection,
    #[serde(default)]
    log: LogSection,
    #[serde(default)]
    sms: SmsSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseSection {
    path: Option<Spanned<Value>>,
    socket: Option<Spanned<Value>>,
    cache_mb: Option<Spanned<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogSection {
    level: Option<Spanned<Value>>,
    file: Option<Spanned<Value>>,
    keep_days: Option<Spanned<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmsSection {
    command: Option<Spanned<Value>>,
    timeout_seconds: Option<Spanned<Value>>,
    credentials_file: Option<Spanned<Value>>,
}

/// Sections that belong to work not yet in caredesk: a file that has them
/// is told so rather than left to think they act.
const NOT_YET: &[(&str, &str)] = &[
    ("mail", "mail settings are not part of caredesk yet; remove the [mail] section"),
    ("backup", "caredesk makes no backups of its own yet; remove the [backup] section"),
];

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

/// serde's "unknown field `x`, expected one of `a`, `b`" in the words of a
/// config file, with a word for sections that are not there yet.
fn reword(message: &str) -> String {
    let message = message.trim();
    for (section, why) in NOT_YET {
        if message.starts_with(&format!("unknown field `{section}`")) {
            return (*why).to_owned();
        }
    }
    match message.strip_prefix("unknown field ") {
        Some(rest) => {
            let rest = rest.replacen(", expected one of ", " here; the keys allowed are ", 1);
            let rest = rest.replacen(", expected ", " here; the key allowed is ", 1);
            format!("unknown key {rest}")
        }
        None => message.to_owned(),
    }
}

/// A file that was read, with its text, so values can be placed by line.
struct Read {
    path: PathBuf,
    text: String,
    file: File,
}

impl Read {
    fn parse(path: &Path, text: String) -> Result<Read, ConfigError> {
        let file = toml::from_str::<File>(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            line: e.span().map_or(1, |s| line_of(&text, s.start)),
            message: reword(e.message()),
        })?;
        Ok(Read { path: path.to_owned(), text, file })
    }

    fn origin(&self, value: &Spanned<Value>) -> Origin {
        Origin::File { path: self.path.clone(), line: line_of(&self.text, value.span().start) }
    }

    fn invalid(&self, value: &Spanned<Value>, key: &str, allowed: &str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            line: line_of(&self.text, value.span().start),
            message: format!("{key} = {} is not allowed: {allowed}", value.get_ref()),
        }
    }
}

/// Checks one value of a file; `None` when the file does not set it.
fn take<T>(
    read: &Read,
    value: &Option<Spanned<Value>>,
    key: &str,
    allowed: &str,
    check: impl Fn(&Value) -> Option<T>,
) -> Result<Option<Setting<T>>, ConfigError> {
    let Some(value) = value else { return Ok(None) };
    match check(value.get_ref()) {
        Some(v) => Ok(Some(Setting::new(v, read.origin(value)))),
        None => Err(read.invalid(value, key, allowed)),
    }
}

fn absolute_path(v: &Value) -> Option<PathBuf> {
    v.as_str().map(PathBuf::from).filter(|p| p.is_absolute())
}

fn whole_in(v: &Value, low: u64, high: u64) -> Option<u64> {
    v.as_integer().and_then(|n| u64::try_from(n).ok()).filter(|n| (low..=high).contains(n))
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A log filter: a level, or directives such as `info,sled=warn`. Checked
/// here, strictly, because the log's own parser quietly drops what it does
/// not understand.
fn log_filter(v: &str) -> Option<String> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let target = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    let v = v.trim();
    let good = !v.is_empty()
        && v.split(',').map(str::trim).all(|d| match d.split_once('=') {
            Some((t, level)) => target(t) && LEVELS.contains(&level),
            None => LEVELS.contains(&d),
        });
    good.then(|| v.to_owned())
}

const PATH_ALLOWED: &str = "an absolute path in quotes, such as \"/var/lib/caredesk/db\"";
const LEVEL_ALLOWED: &str =
    "a level in quotes (error, warn, info, debug, trace) or directives such as \"info,sled=warn\"";

/// Every setting from one file, checked.
#[derive(Default)]
struct Layer {
    db: Option<Setting<PathBuf>>,
    socket: Option<Setting<PathBuf>>,
    cache_mb: Option<Setting<u64>>,
    log_level: Option<Setting<String>>,
    log_file: Option<Setting<PathBuf>>,
    log_keep_days: Option<Setting<u32>>,
    sms_command: Option<Setting<String>>,
    sms_timeout_secs: Option<Setting<u64>>,
    sms_credentials: Option<Setting<PathBuf>>,
}

impl Layer {
    fn from_read(r: &Read) -> Result<Layer, ConfigError> {
        let f = &r.file;
        let cache_allowed = format!("a whole number of megabytes from 1 to {MAX_CACHE_MB}, such as 256");
        let keep_allowed = format!("a whole number of days from 1 to {MAX_LOG_KEEP_DAYS}");
        let timeout_allowed = format!("a whole number of seconds from 1 to {MAX_SMS_TIMEOUT_SECS}");
        Ok(Layer {
            db: take(r, &f.database.path, "path", PATH_ALLOWED, absolute_path)?,
            socket: take(r, &f.database.socket, "socket", PATH_ALLOWED, absolute_path)?,
            cache_mb: take(r, &f.database.cache_mb, "cache_mb", &cache_allowed, |v| whole_in(v, 1, MAX_CACHE_MB))?,
            log_level: take(r, &f.log.level, "level", LEVEL_ALLOWED, |v| v.as_str().and_then(log_filter))?,
            log_file: take(r, &f.log.file, "file", PATH_ALLOWED, absolute_path)?,
            log_keep_days: take(r, &f.log.keep_days, "keep_days", &keep_allowed, |v| {
                whole_in(v, 1, MAX_LOG_KEEP_DAYS.into()).map(|n| n as u32)
            })?,
            sms_command: take(
                r,
                &f.sms.command,
                "command",
                "a shell command in quotes; it gets the mobile as $1 and the message on standard input",
                text,
            )?,
            sms_timeout_secs: take(r, &f.sms.timeout_seconds, "timeout_seconds", &timeout_allowed, |v| {
                whole_in(v, 1, MAX_SMS_TIMEOUT_SECS)
            })?,
            sms_credentials: take(r, &f.sms.credentials_file, "credentials_file", PATH_ALLOWED, absolute_path)?,
        })
    }

    /// Fills what this layer leaves unset from `under`.
    fn over(self, under: Layer) -> Layer {
        Layer {
            db: self.db.or(under.db),
            socket: self.socket.or(under.socket),
            cache_mb: self.cache_mb.or(under.cache_mb),
            log_level: self.log_level.or(under.log_level),
            log_file: self.log_file.or(under.log_file),
            log_keep_days: self.log_keep_days.or(under.log_keep_days),
            sms_command: self.sms_command.or(under.sms_command),
            sms_timeout_secs: self.sms_timeout_secs.or(under.sms_timeout_secs),
            sms_credentials: self.sms_credentials.or(under.sms_credentials),
        }
    }
}

/// Reads the files in `sources`, applies the environment and `given` over
/// them, and fills the rest with defaults.
pub fn load(given: Given, sources: &Sources) -> Result<Config, ConfigError> {
    let mut files = Vec::new();
    let mut layer = Layer::default();
    for path in &sources.files {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let read = Read::parse(path, text)?;
                layer = Layer::from_read(&read)?.over(layer);
                files.push((path.clone(), true));
            }
            // Absent, or in a directory this user may not enter (a `HOME`
            // left pointing at another user's): there is no file for us.
            Err(e) if !sources.required && (e.kind() == std::io::ErrorKind::NotFound || path.metadata().is_err()) => {
                files.push((path.clone(), false));
            }
            Err(source) => return Err(ConfigError::Unreadable { path: path.clone(), source }),
        }
    }
    if layer.sms_command.is_none() {
        // Without a command of the files' own, these would act on nothing.
        let stray = [
            ("timeout_seconds", layer.sms_timeout_secs.as_ref().map(|s| &s.origin)),
            ("credentials_file", layer.sms_credentials.as_ref().map(|s| &s.origin)),
        ];
        if let Some((key, Origin::File { path, line })) = stray.into_iter().find_map(|(k, o)| o.map(|o| (k, o.clone())))
        {
            return Err(ConfigError::Invalid {
                path,
                line,
                message: format!(
                    "[sms] {key} goes with the command named beside it, and no file names one: add command = \"...\" \
                     to [sms], or remove {key}"
                ),
            });
        }
    }
    if given.demo {
        // A demo lives in its own place, whatever the server's file says.
        layer.db = None;
        layer.socket = None;
        layer.log_file = None;
    }
    let env = |var: &'static str| (sources.env)(var).map(|v| (var, v));

    let db = given.db.or(layer.db).unwrap_or_else(|| {
        let (path, why) = if given.demo {
            (crate::cli::default_demo_db(), "the demo's place in your data directory")
        } else {
            (crate::cli::default_db(), "your data directory")
        };
        Setting::new(path, Origin::Default(why))
    });
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    // A socket or log file set in a layer below the database's belongs to
    // another database: `--db DIR` gets DIR's own socket and log.
    let beside = |s: Option<Setting<PathBuf>>| s.filter(|s| s.origin.rank(&paths) >= db.origin.rank(&paths));
    let socket = given.socket.or(beside(layer.socket)).unwrap_or_else(|| {
        Setting::new(crate::daemon::default_socket(&db.value), Origin::Default("beside the database"))
    });

    let cache_mb = match env("CAREDESK_CACHE_MB") {
        Some((var, v)) => {
            let mb = v.trim().parse::<u64>().ok().filter(|mb| (1..=MAX_CACHE_MB).contains(mb)).ok_or_else(|| {
                ConfigError::Env {
                    var,
                    value: v.clone(),
                    message: format!("give a whole number of megabytes from 1 to {MAX_CACHE_MB}, such as 256"),
                }
            })?;
            Some(Setting::new(mb, Origin::Env(var)))
        }
        None => layer.cache_mb,
    }
    .unwrap_or_else(|| Setting::new(DEFAULT_CACHE_MB, Origin::Default("256 MiB")));

    let log_level = match env("CAREDESK_LOG") {
        Some((var, v)) => Some(Setting::new(
            log_filter(&v).ok_or_else(|| ConfigError::Env {
                var,
                value: v.clone(),
                message: format!("give {LEVEL_ALLOWED}"),
            })?,
            Origin::Env(var),
        )),
        None => layer.log_level,
    }
    .unwrap_or_else(|| Setting::new(DEFAULT_LOG_LEVEL.to_owned(), Origin::Default("info, sled warnings only")));

    let log_file = match env("CAREDESK_LOG_FILE") {
        Some((var, v)) if Path::new(&v).is_absolute() => Some(Setting::new(PathBuf::from(v), Origin::Env(var))),
        Some((var, v)) => {
            return Err(ConfigError::Env { var, value: v, message: "give an absolute path".to_owned() });
        }
        None => beside(layer.log_file),
    }
    .unwrap_or_else(|| Setting::new(crate::cli::log_file(&db.value), Origin::Default("beside the database")));

    Ok(Config {
        socket,
        cache_mb,
        log_level,
        log_file,
        log_keep_days: layer
            .log_keep_days
            .unwrap_or_else(|| Setting::new(DEFAULT_LOG_KEEP_DAYS, Origin::Default("two weeks"))),
        sms_command: layer.sms_command,
        sms_timeout_secs: layer
            .sms_timeout_secs
            .unwrap_or_else(|| Setting::new(DEFAULT_SMS_TIMEOUT_SECS, Origin::Default("30 seconds"))),
        sms_credentials: layer.sms_credentials,
        files,
        db,
    })
}

impl Config {
    /// `caredesk config show`: every setting, its value and where it came from.
    pub fn describe(&self) -> String {
        let mut rows: Vec<(&str, String, String)> = vec![
            ("database.path", self.db.value.display().to_string(), self.db.origin.to_string()),
            ("database.socket", self.socket.value.display().to_string(), self.socket.origin.to_string()),
            ("database.cache_mb", self.cache_mb.value.to_string(), self.cache_mb.origin.to_string()),
            ("log.level", self.log_level.value.clone(), self.log_level.origin.to_string()),
            ("log.file", format!("{}.YYYY-MM-DD", self.log_file.value.display()), self.log_file.origin.to_string()),
            ("log.keep_days", self.log_keep_days.value.to_string(), self.log_keep_days.origin.to_string()),
        ];
        rows.push(match &self.sms_command {
            Some(s) => ("sms.command", s.value.clone(), s.origin.to_string()),
            None => (
                "sms.command",
                "(not set here: the database's policy decides, see `caredesk policy show`)".to_owned(),
                "-".to_owned(),
            ),
        });
        rows.push((
            "sms.timeout_seconds",
            self.sms_timeout_secs.value.to_string(),
            self.sms_timeout_secs.origin.to_string(),
        ));
        rows.push(match &self.sms_credentials {
            Some(s) => ("sms.credentials_file", s.value.display().to_string(), s.origin.to_string()),
            None => ("sms.credentials_file", "(none)".to_owned(), "-".to_owned()),
        });
        let width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0).min(48);
        let mut out = String::new();
        for (key, value, origin) in rows {
            out.push_str(&format!("{key:<21} {value:<width$}  {origin}\n"));
        }
        out.push_str("files:\n");
        for (path, found) in &self.files {
            out.push_str(&format!("  {} ({})\n", path.display(), if *found { "read" } else { "absent" }));
        }
        out
    }
}
