//! The config file as an administrator meets it: which layer wins, and
//! what caredesk says about a key or value it cannot use.

use std::collections::HashMap;
use std::path::PathBuf;

use caredesk::config::*;

struct Fixture {
    dir: tempfile::TempDir,
    env: HashMap<&'static str, String>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { dir: tempfile::tempdir().unwrap(), env: HashMap::new() }
    }
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
    fn load(&self, given: Given, files: &[PathBuf]) -> Result<Config, ConfigError> {
        let env = |name: &str| self.env.get(name).cloned();
        load(given, &Sources { files: files.to_vec(), env: &env, required: false })
    }
}

fn flag(path: &str) -> Option<Setting<PathBuf>> {
    Some(Setting::new(PathBuf::from(path), Origin::Flag("--db")))
}

#[test]
fn each_layer_wins_over_the_ones_below_it() {
    let mut fx = Fixture::new();
    let system = fx.file(
        "system.toml",
        "[database]\npath = \"/srv/system/db\"\ncache_mb = 100\n\n[log]\nlevel = \"warn\"\nkeep_days = 30\n",
    );
    let user = fx.file("user.toml", "[database]\ncache_mb = 200\n");

    // Defaults, with no file.
    let c = fx.load(Given::default(), &[]).unwrap();
    assert_eq!(c.cache_mb, Setting::new(DEFAULT_CACHE_MB, Origin::Default("256 MiB")));
    assert_eq!(c.log_keep_days.value, DEFAULT_LOG_KEEP_DAYS);

    // The system file over the defaults, the user's file over the system's.
    let c = fx.load(Given::default(), &[system.clone(), user.clone()]).unwrap();
    assert_eq!(c.db.value, PathBuf::from("/srv/system/db"));
    assert_eq!(c.db.origin, Origin::File { path: system.clone(), line: 2 });
    assert_eq!(c.cache_mb, Setting::new(200, Origin::File { path: user.clone(), line: 2 }));
    assert_eq!(c.log_level.value, "warn");
    assert_eq!(c.log_keep_days, Setting::new(30, Origin::File { path: system.clone(), line: 7 }));

    // The environment over the files.
    fx.env.insert("CAREDESK_CACHE_MB", "300".into());
    fx.env.insert("CAREDESK_LOG", "debug".into());
    let c = fx.load(Given::default(), &[system.clone(), user.clone()]).unwrap();
    assert_eq!(c.cache_mb, Setting::new(300, Origin::Env("CAREDESK_CACHE_MB")));
    assert_eq!(c.log_level, Setting::new("debug".to_owned(), Origin::Env("CAREDESK_LOG")));

    // A flag over the files.
    let c = fx.load(Given { db: flag("/tmp/mine"), ..Given::default() }, &[system, user]).unwrap();
    assert_eq!(c.db, Setting::new(PathBuf::from("/tmp/mine"), Origin::Flag("--db")));
}

#[test]
fn a_database_given_on_the_command_line_keeps_its_own_socket_and_log() {
    let fx = Fixture::new();
    let system = fx.file(
        "system.toml",
        "[database]\npath = \"/var/lib/caredesk/db\"\nsocket = \"/run/caredesk/caredesk.sock\"\n[log]\nfile = \"/var/log/caredesk/caredesk.log\"\n",
    );
    let c = fx.load(Given::default(), std::slice::from_ref(&system)).unwrap();
    assert_eq!(c.socket.value, PathBuf::from("/run/caredesk/caredesk.sock"));
    assert_eq!(c.log_file.value, PathBuf::from("/var/log/caredesk/caredesk.log"));

    let c = fx.load(Given { db: flag("/tmp/other/db"), ..Given::default() }, &[system]).unwrap();
    assert_eq!(c.socket.value, PathBuf::from("/tmp/other/db.run/caredesk.sock"));
    assert_eq!(c.socket.origin, Origin::Default("beside the database"));
    assert_eq!(c.log_file.value, PathBuf::from("/tmp/other/db.log"));
}

#[test]
fn a_demo_never_takes_the_database_a_file_names() {
    let fx = Fixture::new();
    let system = fx.file("system.toml", "[database]\npath = \"/var/lib/caredesk/db\"\n");
    let c = fx.load(Given { demo: true, ..Given::default() }, &[system]).unwrap();
    assert_ne!(c.db.value, PathBuf::from("/var/lib/caredesk/db"));
    assert_eq!(c.db.value, caredesk::cli::default_demo_db());
}

#[test]
fn an_unknown_key_is_refused_with_its_line_and_the_keys_allowed() {
    let fx = Fixture::new();
    let file = fx.file("bad.toml", "[database]\npath = \"/var/lib/caredesk/db\"\ncache_size = 512\n");
    let err = fx.load(Given::default(), std::slice::from_ref(&file)).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{} line 3: unknown key `cache_size`", file.display())), "{err}");
    assert!(err.contains("`path`, `socket`, `cache_mb`"), "{err}");
}

#[test]
fn an_unknown_section_is_refused_and_mail_is_said_to_be_not_there_yet() {
    let fx = Fixture::new();
    let file = fx.file("bad.toml", "[log]\nlevel = \"info\"\n\n[smtp]\nhost = \"x\"\n");
    let err = fx.load(Given::default(), &[file]).unwrap_err().to_string();
    assert!(err.contains("line 4: unknown key `smtp`"), "{err}");
    assert!(err.contains("`database`, `log`, `sms`"), "{err}");

    let file = fx.file("mail.toml", "[mail]\nrelay = \"smtp.example.org\"\n");
    let err = fx.load(Given::default(), &[file]).unwrap_err().to_string();
    assert!(err.contains("line 1: mail settings are not part of caredesk yet"), "{err}");
}

#[test]
fn a_bad_value_is_refused_with_its_line_and_what_is_allowed() {
    let fx = Fixture::new();
    let cases = [
        ("[database]\ncache_mb = 0\n", 2, "cache_mb = 0 is not allowed: a whole number of megabytes from 1 to 65536"),
        ("[database]\ncache_mb = \"big\"\n", 2, "cache_mb = \"big\" is not allowed"),
        ("\n[database]\npath = \"relative/db\"\n", 3, "path = \"relative/db\" is not allowed: an absolute path"),
        ("[log]\nlevel = \"loud=\"\n", 2, "level = \"loud=\" is not allowed: a level in quotes"),
        ("[log]\nkeep_days = 1000\n", 2, "keep_days = 1000 is not allowed: a whole number of days from 1 to 366"),
        ("[sms]\ncommand = \"  \"\n", 2, "command = \"  \" is not allowed: a shell command"),
        ("[sms]\ntimeout_seconds = -5\n", 2, "timeout_seconds = -5 is not allowed: a whole number of seconds"),
        ("[database\n", 1, ""),
        ("[sms]\n\ntimeout_seconds = 5\n", 3, "[sms] timeout_seconds goes with the command"),
    ];
    for (text, line, words) in cases {
        let file = fx.file("case.toml", text);
        let err = fx.load(Given::default(), std::slice::from_ref(&file)).unwrap_err().to_string();
        let at = format!("{} line {line}: ", file.display());
        assert!(err.starts_with(&at), "{text:?}: {err}");
        assert!(err.contains(words), "{text:?}: {err}");
    }
}

#[test]
fn a_bad_environment_value_is_refused_with_its_name() {
    let mut fx = Fixture::new();
    fx.env.insert("CAREDESK_CACHE_MB", "lots".into());
    let err = fx.load(Given::default(), &[]).unwrap_err().to_string();
    assert!(err.starts_with("CAREDESK_CACHE_MB=\"lots\": give a whole number of megabytes"), "{err}");
}

#[test]
fn a_named_file_must_exist_and_missing_standard_files_are_listed_as_absent() {
    let fx = Fixture::new();
    let missing = fx.dir.path().join("nowhere.toml");
    let env = |_: &str| None;
    let err = load(Given::default(), &Sources { files: vec![missing.clone()], env: &env, required: true }).unwrap_err();
    assert!(matches!(err, ConfigError::Unreadable { .. }), "{err}");
    let c = fx.load(Given::default(), std::slice::from_ref(&missing)).unwrap();
    assert_eq!(c.files, vec![(missing, false)]);
}

#[test]
fn show_names_every_setting_and_where_it_came_from() {
    let fx = Fixture::new();
    let file = fx.file("system.toml", "[sms]\ncommand = \"/usr/local/bin/send-sms\"\ntimeout_seconds = 10\n");
    let c = fx.load(Given { db: flag("/srv/db"), ..Given::default() }, std::slice::from_ref(&file)).unwrap();
    let shown = c.describe();
    for key in ["database.path", "database.socket", "database.cache_mb", "log.level", "log.file", "sms.command"] {
        assert!(shown.contains(key), "{key} missing from\n{shown}");
    }
    let line = |key: &str| shown.lines().find(|l| l.starts_with(key)).unwrap().to_owned();
    assert!(line("database.path ").ends_with("flag --db"), "{shown}");
    assert!(line("sms.command").ends_with(&format!("{} line 2", file.display())), "{shown}");
    assert!(line("sms.timeout_seconds").contains("10"), "{shown}");
    assert!(line("database.socket").contains("/srv/db.run/caredesk.sock"), "{shown}");
}

/// The binary, reading only `file` and nothing of this machine's own settings.
fn caredesk(file: &std::path::Path, home: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_caredesk"));
    for var in ["CAREDESK_DB", "CAREDESK_SOCKET", "CAREDESK_CACHE_MB", "CAREDESK_LOG", "CAREDESK_LOG_FILE"] {
        cmd.env_remove(var);
    }
    cmd.env("CAREDESK_CONFIG", file).env("HOME", home).env("XDG_STATE_HOME", home.join("state"));
    cmd
}

#[test]
fn a_mistake_in_the_file_stops_every_command_with_the_file_and_line() {
    let fx = Fixture::new();
    let file = fx.file("caredesk.toml", "[database]\npath = \"/srv/caredesk/db\"\ncache_mb = 0\n");
    let out = caredesk(&file, fx.dir.path()).arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        format!(
            "caredesk: {} line 3: cache_mb = 0 is not allowed: a whole number of megabytes from 1 to 65536, such as 256",
            file.display()
        )
    );
}

#[test]
fn config_show_says_which_layer_gave_each_setting() {
    let fx = Fixture::new();
    let db = fx.dir.path().join("db");
    let file = fx.file("caredesk.toml", &format!("[database]\npath = \"{}\"\n\n[log]\nkeep_days = 7\n", db.display()));
    let out = caredesk(&file, fx.dir.path())
        .env("CAREDESK_CACHE_MB", "64")
        .args(["--socket", "/tmp/elsewhere.sock", "config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8(out.stdout).unwrap();
    let line = |key: &str| shown.lines().find(|l| l.starts_with(&format!("{key} "))).unwrap_or_default().to_owned();
    assert!(line("database.path").ends_with(&format!("{} line 2", file.display())), "{shown}");
    assert!(line("database.socket").ends_with("flag --socket"), "{shown}");
    assert!(line("database.cache_mb").ends_with("environment CAREDESK_CACHE_MB"), "{shown}");
    assert!(line("log.keep_days").ends_with(&format!("{} line 5", file.display())), "{shown}");
    assert!(line("log.level").contains("default"), "{shown}");
}
