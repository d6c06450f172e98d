//! The two long-running commands: building the demo database and importing
//! CSV files. Both draw a progress bar when a person is watching.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::{Origin, Setting};
use crate::demo::{Scale, build_demo};
use chrono::{DateTime, Utc};

use crate::daemon::Client;
use crate::daemon::protocol::{Body, MAX_FRAME, Reply};
use crate::import::{BadLine, ImportError, ImportKind, ImportReport, import_csv};
use crate::service::ops::Init;
use crate::service::{Ctx, Service};
use crate::store::OpenMode;

/// Marks a directory as a demo database that `caredesk demo` may replace.
const DEMO_MARKER: &str = "caredesk-demo";

fn bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    ProgressBar::new(len).with_style(style())
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} {elapsed_precise} {per_sec} ETA {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// The progress of work done in stages, each with a count of its own.
///
/// A stage gets a bar of its own, made whole (label, count and length)
/// before it is first drawn, so that no frame shows one stage's label over
/// another's count: a bar redraws at most 20 times a second, so a label and
/// a count set one after the other on one bar could leave the frame drawn
/// between them on the screen until the next redraw. The elapsed time runs
/// on from the first stage; the rate and the ETA are the stage's own.
struct StageBar {
    bar: ProgressBar,
    stage: String,
    started: Instant,
    target: fn() -> ProgressDrawTarget,
}

impl StageBar {
    /// Drawn on stderr when a person is watching, and nowhere otherwise.
    fn on_stderr() -> StageBar {
        let watched = std::io::stderr().is_terminal();
        StageBar::new(if watched { ProgressDrawTarget::stderr } else { ProgressDrawTarget::hidden })
    }

    fn new(target: fn() -> ProgressDrawTarget) -> StageBar {
        StageBar {
            bar: ProgressBar::with_draw_target(Some(0), target()),
            stage: String::new(),
            started: Instant::now(),
            target,
        }
    }

    fn show(&mut self, stage: &str, done: u64, total: u64) {
        if stage != self.stage {
            self.bar.finish_and_clear();
            self.bar = ProgressBar::with_draw_target(Some(total), (self.target)())
                .with_style(style())
                .with_message(stage.to_owned())
                .with_position(done)
                .with_elapsed(self.started.elapsed());
            self.stage = stage.to_owned();
            self.bar.tick();
        } else {
            self.bar.update(|state| {
                state.set_pos(done);
                state.set_len(total);
            });
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The page cache of a national demo build unless one is configured, in
/// MiB: the build's own, not the one the database is later served with.
const NATIONAL_BUILD_CACHE_MB: u64 = 2048;

/// Builds the demo database at `db`, replacing an earlier demo there but
/// never a directory that holds anything else.
pub fn demo(db: &Path, ctx: &Ctx, scale: &str, cache_mb: &Setting<u64>, json: bool) -> Result<()> {
    let scale: Scale = scale.parse()?;
    // A national build reads back far more than the default cache holds (a
    // third faster with 2 GiB); a cache the user set wins.
    let cache_mb = match (scale, &cache_mb.origin) {
        (Scale::National, Origin::Default(_)) => NATIONAL_BUILD_CACHE_MB,
        _ => cache_mb.value,
    };
    if db.exists() && std::fs::read_dir(db).map(|mut d| d.next().is_some()).unwrap_or(false) {
        if !db.join(DEMO_MARKER).exists() {
            bail!(
                "{} already holds something that is not a caredesk demo: choose another --db, or remove it yourself",
                db.display()
            );
        }
        // A console or a daemon may have it open: replacing it under them
        // would lose their work. (A half-built one is simply replaced.)
        if let Err(e @ crate::store::StoreError::Locked { .. }) = crate::store::Store::open(db, OpenMode::Existing) {
            return Err(crate::service::ServiceError::from(e).into());
        }
        std::fs::remove_dir_all(db).with_context(|| format!("could not replace the old demo at {}", db.display()))?;
    }
    std::fs::create_dir_all(db).with_context(|| format!("could not create {}", db.display()))?;
    std::fs::write(db.join(DEMO_MARKER), "built by `caredesk demo`; `caredesk demo` may replace this directory\n")?;
    let store = crate::store::Store::open_with_cache(db, OpenMode::CreateIfMissing, cache_mb << 20)
        .map_err(crate::service::ServiceError::from)?;
    let service = Service::with_store(store)?;
    service.execute(ctx, &Init)?;
    let mut progress = StageBar::on_stderr();
    let summary = build_demo(&service, ctx, scale, &mut |stage, done, total| progress.show(stage, done, total))?;
    progress.finish();
    tracing::info!(
        operator = %ctx.operator,
        audit_entries = summary.audit_entries,
        seconds = summary.elapsed.as_secs(),
        "demo database built"
    );
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "db": db, "summary": summary.to_string() }))?);
    } else {
        println!("{summary}");
        println!("demo database ready at {}", db.display());
    }
    Ok(())
}

/// Opens the database at `db`, which brings it up to this build's layout,
/// and says what was done.
pub fn migrate(db: &Path, json: bool) -> Result<()> {
    let spinner = bar(0);
    spinner.set_message("migrating");
    let store = crate::store::Store::open(db, OpenMode::Existing)?;
    spinner.finish_and_clear();
    let (from, now) = (store.migrated_from(), store.layout()?);
    if json {
        println!("{}", serde_json::json!({ "db": db, "migrated_from": from, "layout": now }));
    } else {
        match from {
            Some(from) => println!("{} brought from layout {from} to layout {now}", db.display()),
            None => println!("{} is already at layout {now}: nothing to do", db.display()),
        }
    }
    Ok(())
}

pub fn import(service: &Service, ctx: &Ctx, kind: &str, file: &Path, skip_bad: bool, json: bool) -> Result<()> {
    let kind: ImportKind = kind.parse()?;
    let reader = std::fs::File::open(file).with_context(|| format!("could not open {}", file.display()))?;
    let progress = bar(0);
    let result = import_csv(service, ctx, kind, reader, skip_bad, &mut |done, total| {
        progress.set_length(total);
        progress.set_position(done);
    });
    progress.finish_and_clear();
    match result {
        Ok(report) => print_report(&report, file, json),
        Err(ImportError::BadLines(lines)) => refuse_bad_lines(&lines, file),
        Err(e) => Err(e.into()),
    }
}

/// The same import, run whole by the daemon that owns the database.
pub fn import_through(
    client: &Client,
    at: Option<DateTime<Utc>>,
    kind: &str,
    file: &Path,
    skip_bad: bool,
    json: bool,
) -> Result<()> {
    kind.parse::<ImportKind>()?;
    let csv = std::fs::read_to_string(file).with_context(|| format!("could not read {} as text", file.display()))?;
    // The request carries the file whole; leave room for the rest of it.
    if csv.len() > MAX_FRAME - (64 << 10) {
        bail!(
            "{} is {} MiB, more than the daemon takes at once ({} MiB): split it into smaller files, or import it \
             while the daemon is stopped",
            file.display(),
            csv.len() >> 20,
            MAX_FRAME >> 20
        );
    }
    let spinner = bar(0);
    spinner.set_message("importing");
    // A large import takes as long as it takes.
    let answer = client.request_within(Body::Import { kind: kind.to_owned(), csv, skip_bad }, at, None);
    spinner.finish_and_clear();
    match answer? {
        Reply::Imported(report) => print_report(&report, file, json),
        Reply::BadLines(lines) => refuse_bad_lines(&lines, file),
        _ => bail!("the daemon answered the import with something else: restart caredesk"),
    }
}

fn print_report(report: &ImportReport, file: &Path, json: bool) -> Result<()> {
    if json {
        let skipped: Vec<_> =
            report.skipped.iter().map(|b| serde_json::json!({ "line": b.line, "reason": b.reason })).collect();
        println!("{}", serde_json::json!({ "imported": report.imported, "skipped": skipped }));
    } else {
        println!("imported {} from {}", report.imported, file.display());
        for bad in &report.skipped {
            println!("  skipped line {}: {}", bad.line, bad.reason);
        }
    }
    Ok(())
}

fn refuse_bad_lines(lines: &[BadLine], file: &Path) -> Result<()> {
    for bad in lines {
        eprintln!("{}:{}: {}", file.display(), bad.line, bad.reason);
    }
    bail!(
        "{} bad lines in {}: nothing was imported; fix them, or rerun with --skip-bad to import the rest",
        lines.len(),
        file.display()
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, OnceLock};

    use indicatif::{ProgressDrawTarget, TermLike};

    use super::StageBar;

    /// Every frame a bar draws, as text.
    #[derive(Debug, Default)]
    struct Frames(Mutex<Vec<String>>);

    impl TermLike for &'static Frames {
        fn width(&self) -> u16 {
            200
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            if !s.trim().is_empty() {
                self.0.lock().unwrap().push(s.to_owned());
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    static FRAMES: OnceLock<Arc<Frames>> = OnceLock::new();

    fn recorded() -> ProgressDrawTarget {
        let frames: &'static Frames = FRAMES.get_or_init(Arc::default);
        ProgressDrawTarget::term_like(Box::new(frames))
    }

    #[test]
    fn a_new_stage_is_never_drawn_with_the_last_stages_count() {
        let mut bar = StageBar::new(recorded);
        bar.show("replaying", 0, 6_000);
        bar.show("replaying", 6_000, 6_000);
        bar.show("lifecycle sweep", 0, 320);
        bar.show("lifecycle sweep", 320, 320);
        bar.show("mail", 0, 1);
        bar.show("mail", 1, 1);
        bar.finish();
        let frames = FRAMES.get().unwrap().0.lock().unwrap().clone();
        for stage in ["replaying", "lifecycle sweep", "mail"] {
            assert!(frames.iter().any(|f| f.contains(stage)), "{stage} was never drawn: {frames:#?}");
        }
        for frame in &frames {
            let (label, count) = (frame.split('[').next().unwrap().trim(), frame.split(']').nth(1).unwrap_or(""));
            let count = count.split_whitespace().next().unwrap_or("");
            let fits = match label {
                "replaying" => ["0/6000", "6000/6000"].contains(&count),
                "lifecycle sweep" => ["0/320", "320/320"].contains(&count),
                "mail" => ["0/1", "1/1"].contains(&count),
                _ => false,
            };
            assert!(fits, "a frame mixes one stage's label with another's count: {frame:?} in {frames:#?}");
        }
    }
}
