//! Load on the daemon: many operators querying and paging the queue while
//! others log and claim tickets, all through one `caredesk serve`.
//!
//! Run with `cargo bench --bench daemon_load` (add `-- --help` for the
//! knobs). It builds a fresh database in a temporary directory (organisations,
//! accounts and open tickets, through the service), starts a daemon on it and
//! connects every client to it. Readers repeat what a console does when an
//! operator works the queue: bring its tab's slots up to date (the changes
//! since its last listing, or the whole list after a switch to another
//! tab, one round in `--switch-every`), read a page of 50 rows at some
//! place in it, sometimes open a ticket, and take in the change events the
//! daemon pushes. Writers log a ticket and claim it. Each request's
//! latency is measured at the client, from sending to the answer, so it
//! includes framing, the socket, the daemon's threads and the service.
//!
//! Clients connect through `Daemon::connect`, a socket pair to the same
//! connection code the listening socket uses; that lets one process be many
//! operators (peer credentials would make them all one user). The handshake,
//! framing, threads and events are the same.
//!
//! It prints a table of p50, p99 and maximum latency per request kind and the
//! throughput; docs/performance.md records runs of it. A reader's first
//! listing, when its console opens, is a kind of its own: every console
//! opens within the first pause, as they all reconnect after a restart,
//! and that burst is not a tab switch on a working desk.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/latency.rs"]
mod latency;
#[path = "common/rng.rs"]
mod rng;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use caredesk::daemon::{Daemon, RemoteDesk};
use caredesk::desk::{Clock, Desk, DeskExt};
use caredesk::domain::permission::Role;
use caredesk::domain::routing::Queue;
use caredesk::service::ops::*;
use caredesk::service::{QueueView, ServiceError, TicketFilter};
use fixture::{Caller, Population, fixture_now, fixture_ticket, new_database_with_cache, run};
use latency::{ms, percentile};
use rng::Rng;

/// The allocator the daemon runs on (`src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Knobs {
    readers: usize,
    writers: usize,
    seconds: u64,
    tickets: u64,
    /// Pause between one reader's rounds, as an operator reads the screen.
    think_ms: u64,
    /// Pause between one writer's tickets.
    writer_think_ms: u64,
    /// One round in this many a reader switches tab and lists it whole.
    switch_every: u64,
    /// Personal accounts in the fixture, ten to an organisation up to
    /// 20,000 organisations; callers are drawn from them.
    accounts: u64,
    /// The page cache, in MiB, as the daemon's `cache_mb`.
    cache_mb: u64,
}

impl Knobs {
    fn from_args() -> Knobs {
        let mut knobs = Knobs {
            readers: 100,
            writers: 10,
            seconds: 20,
            tickets: 5_000,
            think_ms: 0,
            writer_think_ms: 0,
            switch_every: 10,
            accounts: 400,
            cache_mb: caredesk::store::DEFAULT_CACHE_BYTES >> 20,
        };
        let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || -> u64 {
                it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{flag} needs a whole number"))
            };
            match flag.as_str() {
                "--readers" => knobs.readers = value() as usize,
                "--writers" => knobs.writers = value() as usize,
                "--seconds" => knobs.seconds = value(),
                "--tickets" => knobs.tickets = value(),
                "--think-ms" => knobs.think_ms = value(),
                "--writer-think-ms" => knobs.writer_think_ms = value(),
                "--switch-every" => knobs.switch_every = value().max(1),
                "--accounts" => {
                    knobs.accounts = Some(value())
                        .filter(|n| (10..=MOST_ACCOUNTS).contains(n))
                        .unwrap_or_else(|| panic!("--accounts takes a whole number from 10 to {MOST_ACCOUNTS}"))
                }
                "--cache-mb" => knobs.cache_mb = value().max(1),
                "--help" | "-h" => {
                    println!(
                        "daemon_load [--readers 100] [--writers 10] [--seconds 20] [--tickets 5000] [--think-ms 0] \
                         [--writer-think-ms 0] [--switch-every 10] [--accounts 400] [--cache-mb 256]"
                    );
                    std::process::exit(0);
                }
                // cargo bench passes filters and its own flags; they mean nothing here.
                _ => {}
            }
        }
        knobs
    }
}

/// The most `--accounts` may ask for: 8-digit mobiles from the base.
const MOST_ACCOUNTS: u64 = 10_000_000;

/// The fixture's people: 400 make 40 organisations, a million 20,000.
fn population(accounts: u64) -> Population {
    Population {
        ods_tag: 'L',
        surname_tag: 'T',
        first_name: "Alex",
        mobile_base: 20_000_000,
        organisations: (accounts / 10).clamp(1, 20_000),
        accounts,
    }
}
const PAGE: usize = 50;

fn caller(service: &caredesk::service::Service, rng: &mut Rng, accounts: u64) -> Result<Caller, ServiceError> {
    let id = 1 + rng.below(accounts);
    let account = service.store().account(id)?.expect("account ids run from 1");
    let name = account.display_name();
    Ok(Caller { account, name, phone: "01632 960123".to_owned() })
}

/// A database with `tickets` open tickets, and the operators the clients act as.
fn build(dir: &std::path::Path, knobs: &Knobs) -> Result<caredesk::service::Service, ServiceError> {
    let (service, ctx) = new_database_with_cache(dir, knobs.cache_mb << 20)?;
    let mut rng = Rng(7);
    service.store().bulk(|| {
        population(knobs.accounts).add(&service, &ctx)?;
        for _ in 0..knobs.tickets {
            let new = fixture_ticket(&mut rng, fixture_now(), 14, |r| caller(&service, r, knobs.accounts))?;
            run(&service, &ctx, &new)?;
        }
        for i in 0..knobs.readers.max(knobs.writers) {
            for name in [format!("reader{i}"), format!("writer{i}")] {
                run(&service, &ctx, &AddOperator { username: name, role: Role::Supervisor })?;
            }
        }
        Ok::<_, ServiceError>(())
    })?;
    Ok(service)
}

/// Latencies of one kind of request.
#[derive(Default)]
struct Samples(Vec<Duration>);

impl Samples {
    fn time<T>(&mut self, f: impl FnOnce() -> Result<T, ServiceError>) -> T {
        let started = Instant::now();
        let out = f().unwrap_or_else(|e| panic!("a request failed under load: {e}"));
        self.0.push(started.elapsed());
        out
    }
}

const KINDS: [&str; 7] = [
    "console opening (whole list)",
    "tab switch (whole list)",
    "tab refresh (changes since)",
    "page of 50 rows",
    "ticket detail",
    "log a ticket",
    "claim it",
];

/// Between half and one and a half times `think`: people do not act in step,
/// and clients that all wake together would measure a stampede instead.
fn jittered(think: Duration, rng: &mut Rng) -> Duration {
    think.mul_f64(0.5 + rng.below(1000) as f64 / 1000.0)
}

/// Consoles are not all opened in the same instant: a paced client starts
/// at a random point of its first pause.
fn stagger(think: Duration, rng: &mut Rng) {
    std::thread::sleep(think.mul_f64(rng.below(1000) as f64 / 1000.0));
}

fn reader(desk: &RemoteDesk, seed: u64, stop: &AtomicBool, think: Duration, switch_every: u64) -> Vec<Samples> {
    let mut out: Vec<Samples> = KINDS.iter().map(|_| Samples::default()).collect();
    let mut rng = Rng(seed);
    let views = [QueueView::Queue(Queue::Nas), QueueView::Queue(Queue::Helpdesk), QueueView::All];
    // The console's tab, its list and where that list is current.
    let mut view = &views[rng.below(views.len() as u64) as usize];
    let (mut slots, mut since, mut opened) = (Vec::new(), None, false);
    stagger(think, &mut rng);
    while !stop.load(Ordering::Relaxed) {
        if since.is_some() && rng.below(switch_every) == 0 {
            view = &views[rng.below(views.len() as u64) as usize];
            since = None;
        }
        // A console's first listing is counted apart from its switches:
        // all the consoles open within the first pause, a burst that a
        // busy desk sees only when the daemon restarts and every console
        // reconnects at once.
        let kind = match (since, opened) {
            (None, false) => 0,
            (None, true) => 1,
            (Some(_), _) => 2,
        };
        opened = true;
        let follow = FollowTicketSlots { view: view.clone(), filter: TicketFilter::default(), since };
        since = out[kind].time(|| desk.call(follow)).apply(&mut slots);
        for _ in 0..3 {
            let start = rng.below(slots.len().saturating_sub(PAGE).max(1) as u64) as usize;
            let refs: Vec<_> = slots.iter().skip(start).take(PAGE).map(|s| s.reference).collect();
            out[3].time(|| desk.call(ReadTicketRows { refs: refs.to_vec() }));
        }
        if let Some(slot) = slots.get(rng.below(slots.len().max(1) as u64) as usize) {
            out[4].time(|| desk.call(ShowTicketDetail { reference: slot.reference }));
        }
        // A console takes in what others changed.
        let _ = desk.events();
        if !think.is_zero() {
            std::thread::sleep(jittered(think, &mut rng));
        }
    }
    out
}

fn writer(
    desk: &RemoteDesk,
    service: &caredesk::service::Service,
    seed: u64,
    stop: &AtomicBool,
    think: Duration,
    accounts: u64,
) -> Vec<Samples> {
    let mut out: Vec<Samples> = KINDS.iter().map(|_| Samples::default()).collect();
    let mut rng = Rng(seed);
    stagger(think, &mut rng);
    while !stop.load(Ordering::Relaxed) {
        let new = fixture_ticket(&mut rng, fixture_now(), 1, |r| caller(service, r, accounts)).expect("a ticket");
        let ticket = out[5].time(|| desk.call(new)).record;
        out[6].time(|| desk.call(Claim { reference: ticket.reference }));
        let _ = desk.events();
        if !think.is_zero() {
            std::thread::sleep(jittered(think, &mut rng));
        }
    }
    out
}

fn main() {
    caredesk::memory::small_pages_only();
    let knobs = Knobs::from_args();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let service = Arc::new(build(dir.path(), &knobs).expect("the load fixture"));
    eprintln!(
        "fixture: {} open tickets, {} accounts, built in {:.1}s",
        knobs.tickets,
        knobs.accounts,
        started.elapsed().as_secs_f64()
    );
    let daemon = Daemon::without_socket(Arc::clone(&service)).with_clock(Clock::Fixed(fixture_now()));
    daemon.start_relay().expect("the relay");
    let connect = |name: String| {
        let client = daemon.connect(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
        RemoteDesk::new(Arc::new(client), Clock::Fixed(fixture_now()))
    };
    let readers: Vec<RemoteDesk> = (0..knobs.readers).map(|i| connect(format!("reader{i}"))).collect();
    let writers: Vec<RemoteDesk> = (0..knobs.writers).map(|i| connect(format!("writer{i}"))).collect();
    eprintln!("{} readers and {} writers connected; running {} s", knobs.readers, knobs.writers, knobs.seconds);
    let stop = AtomicBool::new(false);
    let think = Duration::from_millis(knobs.think_ms);
    let writer_think = Duration::from_millis(knobs.writer_think_ms);
    let began = Instant::now();
    let results: Vec<Vec<Samples>> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (i, desk) in readers.iter().enumerate() {
            let stop = &stop;
            let switch_every = knobs.switch_every;
            handles.push(s.spawn(move || reader(desk, 100 + i as u64, stop, think, switch_every)));
        }
        for (i, desk) in writers.iter().enumerate() {
            let (stop, service, accounts) = (&stop, &service, knobs.accounts);
            handles.push(s.spawn(move || writer(desk, service, 900 + i as u64, stop, writer_think, accounts)));
        }
        std::thread::sleep(Duration::from_secs(knobs.seconds));
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().map(|h| h.join().expect("a client thread")).collect()
    });
    let elapsed = began.elapsed().as_secs_f64();
    println!(
        "\n{} readers (think {} ms, a tab switch one round in {}), {} writers (think {} ms), {} s, {} open tickets at \
         the start\n",
        knobs.readers,
        knobs.think_ms,
        knobs.switch_every,
        knobs.writers,
        knobs.writer_think_ms,
        knobs.seconds,
        knobs.tickets
    );
    println!("| request | count | per second | p50 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut total = 0usize;
    for (k, kind) in KINDS.iter().enumerate() {
        let mut all: Vec<Duration> = results.iter().flat_map(|r| r[k].0.iter().copied()).collect();
        all.sort_unstable();
        total += all.len();
        println!(
            "| {kind} | {} | {:.0} | {} | {} | {} |",
            all.len(),
            all.len() as f64 / elapsed,
            ms(percentile(&all, 50.0)),
            ms(percentile(&all, 99.0)),
            ms(all.last().copied().unwrap_or_default())
        );
    }
    println!("\n{total} requests in {elapsed:.1} s: {:.0} requests per second", total as f64 / elapsed);
}
