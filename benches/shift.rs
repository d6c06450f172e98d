//! The shift tools at scale: a bulk claim of 1,000 marked tickets and its
//! undo through one `caredesk serve`, and the dashboard's figures and frame
//! over 20,000 open tickets received across a year.
//!
//! Run with `cargo bench --bench shift` (add `-- --help` for the knobs). It
//! builds a fresh database in a temporary directory through the service,
//! each ticket created at its own received time so the queues' depth history
//! spans the year, then starts a daemon on it and connects one operator
//! through `Daemon::connect` (the same connection code as the socket).
//!
//! Each round claims a fresh 1,000 tickets with one `BulkTickets` request,
//! as the console's mark mode sends it, and undoes the batch with `Undo`;
//! both are timed at the client, so they include framing, the socket, the
//! daemon's threads and the per-ticket authorisation and audit. The
//! dashboard is timed twice: the `ShowDashboard` request (the figures,
//! computed by the service) and drawing one frame of pane 4 from figures
//! already kept, at 80x24 and 200x50. docs/performance.md records runs.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/rng.rs"]
mod rng;

use std::sync::Arc;
use std::time::{Duration, Instant};

use caredesk::console::dashboard::draw_dashboard;
use caredesk::console::theme::Theme;
use caredesk::daemon::{Daemon, RemoteDesk};
use caredesk::desk::{Clock, Desk, DeskExt};
use caredesk::domain::permission::Role;
use caredesk::service::ops::*;
use caredesk::service::{BulkAction, BulkTargets, Ctx, QueueView, ServiceError, TicketFilter};
use fixture::{Caller, Population, SUPERVISOR, fixture_now, fixture_ticket, new_database, run};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rng::Rng;

struct Knobs {
    tickets: u64,
    marked: usize,
    rounds: usize,
    frames: usize,
}

impl Knobs {
    fn from_args() -> Knobs {
        let mut knobs = Knobs { tickets: 20_000, marked: 1_000, rounds: 5, frames: 2_000 };
        let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || -> u64 {
                it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{flag} needs a whole number"))
            };
            match flag.as_str() {
                "--tickets" => knobs.tickets = value(),
                "--marked" => knobs.marked = value() as usize,
                "--rounds" => knobs.rounds = value() as usize,
                "--frames" => knobs.frames = value() as usize,
                "--help" | "-h" => {
                    println!("shift [--tickets 20000] [--marked 1000] [--rounds 5] [--frames 2000]");
                    std::process::exit(0);
                }
                // cargo bench passes filters and its own flags; they mean nothing here.
                _ => {}
            }
        }
        knobs
    }
}

const ORGANISATIONS: u64 = 20;
const ACCOUNTS: u64 = 200;
const POPULATION: Population = Population {
    ods_tag: 'S',
    surname_tag: 'S',
    first_name: "Sam",
    mobile_base: 30_000_000,
    organisations: ORGANISATIONS,
    accounts: ACCOUNTS,
};
const OPERATOR: &str = "shiftlead";

/// Open tickets received over the 365 days before the fixture's clock, each
/// created at the instant it was received.
fn build(dir: &std::path::Path, knobs: &Knobs) -> Result<caredesk::service::Service, ServiceError> {
    let (service, ctx) = new_database(dir)?;
    let mut rng = Rng(14);
    service.store().bulk(|| {
        POPULATION.add(&service, &ctx)?;
        run(&service, &ctx, &AddOperator { username: OPERATOR.to_owned(), role: Role::Supervisor })?;
        let mut tickets = Vec::new();
        for _ in 0..knobs.tickets {
            let new = fixture_ticket(&mut rng, fixture_now(), 365, |r| {
                let account = service.store().account(1 + r.below(ACCOUNTS))?.expect("account ids run from 1");
                Ok(Caller { name: account.display_name(), account, phone: "01632 960123".to_owned() })
            })?;
            tickets.push(new);
        }
        // In the order they came, so each hour's depth move is recorded in turn.
        tickets.sort_by(|a, b| a.received_at.cmp(&b.received_at));
        for new in tickets {
            let at = new.received_at.as_deref().and_then(|t| t.parse().ok()).unwrap_or_else(fixture_now);
            run(&service, &Ctx::new(SUPERVISOR, at), &new)?;
        }
        Ok::<_, ServiceError>(())
    })?;
    Ok(service)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn summary(mut all: Vec<Duration>) -> (Duration, Duration, Duration) {
    all.sort_unstable();
    let median = all.get(all.len() / 2).copied().unwrap_or_default();
    let p99 = all.get(((all.len() - 1) as f64 * 0.99).round() as usize).copied().unwrap_or_default();
    (median, p99, all.last().copied().unwrap_or_default())
}

fn main() {
    let knobs = Knobs::from_args();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let service = Arc::new(build(dir.path(), &knobs).expect("the shift fixture"));
    eprintln!(
        "fixture: {} open tickets over 365 days, built in {:.1}s",
        knobs.tickets,
        started.elapsed().as_secs_f64()
    );
    let daemon = Daemon::without_socket(Arc::clone(&service)).with_clock(Clock::Fixed(fixture_now()));
    daemon.start_relay().expect("the relay");
    let client = daemon.connect(OPERATOR).unwrap_or_else(|e| panic!("{OPERATOR}: {e}"));
    let desk = RemoteDesk::new(Arc::new(client), Clock::Fixed(fixture_now()));

    let slots = desk.call(ListTicketSlots { view: QueueView::All, filter: TicketFilter::default() }).expect("slots");
    assert!(slots.len() >= knobs.marked * knobs.rounds, "not enough open tickets for the rounds");
    println!("\n{} open tickets, {} marked per round, {} rounds\n", slots.len(), knobs.marked, knobs.rounds);
    println!("| round | bulk claim | claimed | refused | undo | restored |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let (mut claims, mut undos) = (Vec::new(), Vec::new());
    for round in 0..knobs.rounds {
        let refs: Vec<_> = slots.iter().skip(round * knobs.marked).take(knobs.marked).map(|s| s.reference).collect();
        let began = Instant::now();
        let report = desk
            .call(BulkTickets { action: BulkAction::Claim, targets: BulkTargets::Refs(refs) })
            .expect("the bulk claim")
            .record;
        let claim = began.elapsed();
        let began = Instant::now();
        let undone = desk.call(Undo { batch: report.batch }).expect("the undo").record;
        let undo = began.elapsed();
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            round + 1,
            ms(claim),
            report.done.len(),
            report.refused.len(),
            ms(undo),
            undone.done.len()
        );
        let _ = desk.events();
        claims.push(claim);
        undos.push(undo);
    }
    let (claim_median, _, claim_max) = summary(claims);
    let (undo_median, _, undo_max) = summary(undos);
    println!("\nbulk claim of {}: median {}, max {}", knobs.marked, ms(claim_median), ms(claim_max));
    println!("undo of it: median {}, max {}", ms(undo_median), ms(undo_max));

    let mut figures = Vec::new();
    let mut kept = None;
    for _ in 0..10 {
        let began = Instant::now();
        kept = Some(desk.call(ShowDashboard {}).expect("the dashboard"));
        figures.push(began.elapsed());
    }
    let kept = kept.expect("ten reads");
    let (median, _, max) = summary(figures);
    println!(
        "\ndashboard figures (ShowDashboard through the daemon, 10 reads): median {}, max {}",
        ms(median),
        ms(max)
    );
    for (width, height) in [(80u16, 24u16), (200, 50)] {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
        let mut frames = Vec::with_capacity(knobs.frames);
        for _ in 0..knobs.frames {
            let began = Instant::now();
            terminal.draw(|frame| draw_dashboard(frame, frame.area(), &kept, Theme { color: true })).expect("a frame");
            frames.push(began.elapsed());
        }
        let (median, p99, max) = summary(frames);
        println!(
            "dashboard frame from kept figures at {width}x{height} ({} frames): median {}, p99 {}, max {}",
            knobs.frames,
            ms(median),
            ms(p99),
            ms(max)
        );
    }
}
