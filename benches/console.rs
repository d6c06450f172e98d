//! What the operator waits for between pressing a key and seeing the
//! screen change: the console drawing a full 200×50 frame over 20,000 open
//! tickets, and a keystroke followed by the frame it causes.
//!
//! The queue pane keeps every slot of its view (due time and reference, one
//! index scan) but reads full rows only for what is on screen, caching them.
//! So the benches separate the cases an operator meets: a redraw with the
//! rows in memory (a tick), a reload (after every change the operator or a
//! colleague makes), a move down the list (one new row), and a jump to the
//! other end (a screenful of rows never read). Typing a search letter in
//! the account pane is the search-as-you-type path. A colleague's change
//! (another session assigning a ticket on screen, untimed) is taken in as
//! a daemon hands it on, as a change event, and drawn.
//!
//! Frames are drawn into ratatui's `TestBackend`, so the figures are the
//! console's own work (reads, layout, widgets, the diff against the last
//! frame) and not the terminal's or the network's.
//!
//! The fixture is built once through `Service::execute` and cached under
//! `target/bench-fixtures/console-v2/`; a `READY` file marks a finished
//! build and records how long it took. Delete the directory to rebuild. The
//! benches only read it; the colleague writes to a copy. It holds 2,000
//! accounts, or as many as `CAREDESK_BENCH_ACCOUNTS` says (50 to an
//! organisation, from 1,000 to 1,300,000), cached apart
//! (`console-v2-1000000/` for a million). The figures and the machine they
//! came from are in docs/performance.md.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use caredesk::console::{App, Clock, KeyMap, LocalDesk, Theme};
use caredesk::desk::{Desk, DeskEvent};
use caredesk::domain::organisation::IgStatus;
use caredesk::domain::routing::Queue;
use caredesk::service::ops::*;
use caredesk::service::{Answer, ChangeEvent, Ctx, QueueView, Request, Service, ServiceError, TicketFilter};
use caredesk::store::OpenMode;
use chrono::{DateTime, Utc};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/rng.rs"]
mod rng;

use fixture::{Caller, SUPERVISOR, cached, fixture_dir, fixture_now, in_batches, new_database, run};
use rng::Rng;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
const OPEN_TICKETS: u64 = 20_000;
/// Accounts in the default fixture; `CAREDESK_BENCH_ACCOUNTS` sets another.
const ACCOUNTS: u64 = 2_000;
/// Accounts to an organisation: 2,000 accounts make 40 organisations.
const ACCOUNTS_PER_ORG: u64 = 50;
/// The fewest accounts that give every mailbox its organisation.
const FEWEST_ACCOUNTS: u64 = MAILBOXES * ACCOUNTS_PER_ORG;
/// The most `ods_code` can name, 50 accounts each.
const MOST_ACCOUNTS: u64 = 26_000 * ACCOUNTS_PER_ORG;
/// One shared mailbox in each of the first organisations, with two members.
const MAILBOXES: u64 = 20;

/// Bump when the store's keys or indexes change, so an old cached fixture
/// is rebuilt rather than measured.
const FIXTURE_VERSION: u32 = 2;

/// Smith is listed often so "smi" finds a list worth scrolling, as it does
/// at a real desk; Smithson and Smithers keep "smit" from matching one name.
#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "Smith", "Smith", "Smith", "Smithson", "Smithers", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans",
    "Wilson", "Thomas", "Johnson", "Roberts", "Robinson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green",
    "Hall", "Patel", "Khan", "O'Brien", "Núñez", "Ní Bhriain", "Clarke", "Lewis",
];

#[rustfmt::skip]
const FORENAMES: &[&str] = &[
    "Sarah", "Emma", "Claire", "Lisa", "Karen", "Helen", "Nicola", "Rachel", "Zoë", "Siân", "Chloé", "Fatima",
    "Priya", "Agnieszka", "Blessing", "John", "David", "Michael", "Paul", "Mohammed", "Tomasz", "Seán", "Kwame",
    "Anne-Marie",
];

/// "VAA001" …: upper-case letters and digits like real social care codes.
fn ods_code(n: u64) -> String {
    format!("VB{}{:03}", (b'A' + (n / 1000 % 26) as u8) as char, n % 1000)
}

/// How many accounts the fixture holds, and so how many organisations.
#[derive(Clone, Copy)]
struct Size {
    accounts: u64,
    organisations: u64,
}

impl Size {
    /// The default, or `CAREDESK_BENCH_ACCOUNTS`; a value that is no whole
    /// number from [`FEWEST_ACCOUNTS`] to [`MOST_ACCOUNTS`] stops the bench with a message.
    fn from_env() -> Size {
        let accounts = match std::env::var("CAREDESK_BENCH_ACCOUNTS") {
            Err(_) => ACCOUNTS,
            Ok(given) => given
                .trim()
                .replace(['_', ','], "")
                .parse()
                .ok()
                .filter(|n| (FEWEST_ACCOUNTS..=MOST_ACCOUNTS).contains(n))
                .unwrap_or_else(|| {
                    panic!("CAREDESK_BENCH_ACCOUNTS={given:?}: give a whole number from {FEWEST_ACCOUNTS} to {MOST_ACCOUNTS}")
                }),
        };
        Size { accounts, organisations: accounts / ACCOUNTS_PER_ORG }
    }

    /// Where this size's fixture is cached: the default keeps its old name.
    fn dir(self) -> std::path::PathBuf {
        match self.accounts {
            ACCOUNTS => fixture_dir(&format!("console-v{FIXTURE_VERSION}")),
            n => fixture_dir(&format!("console-v{FIXTURE_VERSION}-{n}")),
        }
    }
}

/// Builds the fixture through the service and returns the `READY` text.
fn build(dir: &Path, size: Size) -> Result<String, ServiceError> {
    let Size { accounts, organisations } = size;
    let started = Instant::now();
    let (service, ctx) = new_database(dir)?;
    let store = service.store();
    let mut rng = Rng(11);

    store.bulk(|| {
        const PLACES: &[&str] = &["Ashford", "Bramley", "Cheriton", "Dunmore", "Elmstead", "Fairhaven"];
        const KINDS: &[&str] = &["Care Home", "Home Care", "Nursing Home", "Supported Living"];
        for n in 0..organisations {
            let name = format!("{} {} {n}", rng.pick(PLACES), rng.pick(KINDS));
            let add = AddOrganisation { ods: ods_code(n), name, ig: IgStatus::DsptStandardsMet, administered_by: None };
            run(&service, &ctx, &add)?;
        }
        // Account n (id n + 1) belongs to organisation n % organisations.
        in_batches(&service, accounts, |n| {
            let (first, last) = (rng.pick(FORENAMES), rng.pick(SURNAMES));
            let local: String = format!("{first}.{last}{n}").chars().filter(char::is_ascii_alphanumeric).collect();
            let create = CreateAccount {
                first: first.to_owned(),
                last: last.to_owned(),
                mobile: format!("077{:08}", 10_000_000 + n * 7),
                ods: ods_code(n % organisations),
                email: format!("{}@example.org", local.to_lowercase()),
                not_duplicate: true,
            };
            run(&service, &ctx, &create)
        })?;
        for n in 0..MAILBOXES {
            let address_of = |id: u64| -> Result<String, ServiceError> {
                Ok(store.account(id)?.expect("account ids run from 1").address.to_string())
            };
            let ods = ods_code(n);
            // An owner must be active: the first password change activates.
            run(&service, &ctx, &RecordPasswordChange { address: address_of(n + 1)? })?;
            run(
                &service,
                &ctx,
                &CreateMailbox {
                    address: format!("team{n}.{}@nhs.net", ods.to_lowercase()),
                    name: format!("Team {n}"),
                    ods,
                    owner: address_of(n + 1)?,
                    sponsored_by: None,
                },
            )?;
            for member in [n + 1 + organisations, n + 1 + 2 * organisations] {
                let add = AddMember {
                    mailbox: format!("team{n}.{}@nhs.net", ods_code(n).to_lowercase()),
                    account: address_of(member)?,
                    reason: Some("a colleague from a partner home covers its shifts".into()),
                };
                run(&service, &ctx, &add)?;
            }
        }
        Ok::<_, ServiceError>(())
    })?;
    let setup_secs = started.elapsed().as_secs_f64();
    eprintln!("fixture: {organisations} organisations, {accounts} accounts, {MAILBOXES} mailboxes in {setup_secs:.1}s");

    let tickets_started = Instant::now();
    let now = fixture_now();
    store.bulk(|| {
        for _ in 0..OPEN_TICKETS {
            run(&service, &ctx, &fixture_ticket(&service, &mut rng, now, accounts)?)?;
        }
        Ok::<_, ServiceError>(())
    })?;
    let tickets_secs = tickets_started.elapsed().as_secs_f64();
    let total_secs = started.elapsed().as_secs_f64();
    let queues: Vec<String> = Queue::ALL
        .iter()
        .map(|q| format!("{} {}", q.slug(), store.queue_page(*q, true, None, usize::MAX).map_or(0, |p| p.len())))
        .collect();
    eprintln!(
        "fixture: {OPEN_TICKETS} tickets ({}) in {tickets_secs:.1}s; built in {total_secs:.1}s",
        queues.join(", ")
    );
    Ok(format!(
        "organisations {organisations}\naccounts {accounts}\nmailboxes {MAILBOXES}\nopen_tickets {OPEN_TICKETS}\n\
         queues {}\nsetup_seconds {setup_secs:.1}\ntickets_seconds {tickets_secs:.1}\nbuild_seconds {total_secs:.1}\n",
        queues.join(", ")
    ))
}

/// A ticket received in the last four weeks, mostly in working hours, so
/// routing spreads them over the three queues and many are overdue.
fn fixture_ticket(
    service: &Service,
    rng: &mut Rng,
    now: DateTime<Utc>,
    accounts: u64,
) -> Result<CreateTicket, ServiceError> {
    fixture::fixture_ticket(rng, now, 28, |rng| {
        let account = service.store().account(rng.below(accounts) + 1)?.expect("account ids run from 1");
        let name = format!("{} {}", rng.pick(FORENAMES), rng.pick(SURNAMES));
        Ok(Caller { account, name, phone: format!("07700{:06}", rng.below(1_000_000)) })
    })
}

/// Opens the cached fixture, building it first if there is no finished one.
fn fixture(size: Size) -> Arc<Service> {
    let dir = size.dir();
    let what = format!("{} accounts, {OPEN_TICKETS} open tickets", size.accounts);
    let report = cached(&dir, &what, |dir| build(dir, size));
    eprintln!("fixture: {}\n{report}", dir.display());
    Arc::new(Service::open(&dir.join("db"), OpenMode::Existing).expect("open the fixture"))
}

/// The supervisor's console on the fixture, opened on the "all open" tab,
/// with its clock stopped at the fixture's instant.
fn console(service: &Arc<Service>) -> App {
    let desk = LocalDesk::new(service.clone(), SUPERVISOR, Clock::Fixed(fixture_now()));
    App::new(Box::new(desk), KeyMap::default(), Theme { color: true }).expect("the supervisor's console")
}

/// A console's desk that hears the service's change events, as a desk
/// through the daemon does: what other sessions write reaches it.
struct HearingDesk {
    local: LocalDesk,
    heard: std::sync::mpsc::Receiver<ChangeEvent>,
}

impl Desk for HearingDesk {
    fn operator(&self) -> &str {
        self.local.operator()
    }
    fn now(&self) -> DateTime<Utc> {
        self.local.now()
    }
    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        self.local.dispatch(request, based_on)
    }
    fn events(&self) -> Vec<DeskEvent> {
        self.heard.try_iter().map(DeskEvent::Changed).collect()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory for the copy");
    for entry in std::fs::read_dir(from).expect("the fixture") {
        let entry = entry.expect("a fixture file");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("its type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a fixture file copied");
        }
    }
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test terminal")
}

fn frame(terminal: &mut Terminal<TestBackend>, app: &mut App) {
    terminal.draw(|f| app.draw(f)).expect("a frame");
}

/// Times `keys` followed by a frame, `iters` times; `between` runs untimed
/// before each, to put the console back where the keystroke should find it.
fn keystrokes(
    terminal: &mut Terminal<TestBackend>,
    app: &mut App,
    iters: u64,
    mut keys: impl FnMut(u64) -> &'static str,
    mut between: impl FnMut(&mut Terminal<TestBackend>, &mut App),
) -> Duration {
    let mut spent = Duration::ZERO;
    for i in 0..iters {
        between(terminal, app);
        let started = Instant::now();
        app.press(keys(i));
        frame(terminal, app);
        spent += started.elapsed();
    }
    black_box(terminal.backend().buffer());
    spent
}

fn console_frames(c: &mut Criterion) {
    let size = Size::from_env();
    let service = fixture(size);
    let mut app = console(&service);
    let mut terminal = terminal();
    frame(&mut terminal, &mut app);
    let tickets = app.queue().len();
    let slots = service.ticket_slots(SUPERVISOR, &QueueView::All, &TicketFilter::default()).expect("all open");
    let overdue = slots.iter().filter(|s| s.due_at < fixture_now()).count();
    eprintln!(
        "console: tab {:?} holds {tickets} slots ({overdue} overdue); the first frame read {} rows",
        app.queue().tab_label(),
        app.queue().rows_read()
    );

    let mut group = c.benchmark_group("console");
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));

    group.bench_function("frame 200x50, 20k open (rows cached)", |b| {
        b.iter(|| frame(&mut terminal, &mut app));
    });

    group.bench_function("keystroke to frame: j", |b| {
        // Down the list from the top; each press past the first screen
        // scrolls one unread row into view. Back to the top, untimed, at the end.
        let mut at = 0usize;
        app.press("g");
        frame(&mut terminal, &mut app);
        b.iter_custom(|iters| {
            keystrokes(
                &mut terminal,
                &mut app,
                iters,
                |_| "j",
                |terminal, app| {
                    if at + 1 >= tickets {
                        app.press("g");
                        frame(terminal, app);
                        at = 0;
                    }
                    at += 1;
                },
            )
        })
    });
    let after_j = app.queue().rows_read();

    group.bench_function("keystroke to frame: G then g (rows cached)", |b| {
        app.press("g");
        frame(&mut terminal, &mut app);
        b.iter_custom(|iters| {
            keystrokes(&mut terminal, &mut app, iters, |i| if i % 2 == 0 { "G" } else { "g" }, |_, _| {})
        })
    });

    group.sampling_mode(SamplingMode::Flat).sample_size(30);

    group.bench_function("keystroke to frame: G then g", |b| {
        // A reload before each press (untimed) empties the row cache, so
        // every jump brings a screen of unread rows into view.
        app.press("g");
        b.iter_custom(|iters| {
            keystrokes(
                &mut terminal,
                &mut app,
                iters,
                |i| if i % 2 == 0 { "G" } else { "g" },
                |terminal, app| {
                    app.refresh_all();
                    frame(terminal, app);
                },
            )
        })
    });
    app.press("g");
    app.refresh_all();
    frame(&mut terminal, &mut app);
    let fresh = app.queue().rows_read();
    app.press("G");
    frame(&mut terminal, &mut app);
    eprintln!(
        "console: {tickets} slots; rows in memory: {fresh} after a reload and a frame, {} after G, {after_j} after the j bench",
        app.queue().rows_read()
    );

    // A reload reads the tab's list again; the service keeps a list until a
    // ticket changes, so the two cases are a reload between changes (the
    // kept list) and the first after one (the index read again).
    group.bench_function("frame 200x50 after reload (list kept)", |b| {
        b.iter(|| {
            app.refresh_all();
            frame(&mut terminal, &mut app);
        })
    });
    group.bench_function("frame 200x50 after reload (index read)", |b| {
        b.iter(|| {
            service.forget_kept_lists();
            app.refresh_all();
            frame(&mut terminal, &mut app);
        })
    });

    // Search as you type: "smi" is in the box; type "t", then take it back.
    app.press("2/smi");
    frame(&mut terminal, &mut app);
    let smi = service.find_accounts("smi", usize::MAX).map_or(0, |found| found.len());
    eprintln!(
        "console: account search \"smi\" ranks {smi} accounts (a search reads at most 2,000); selected {:?}",
        app.accounts().selected_address()
    );
    group.sampling_mode(SamplingMode::Auto).sample_size(100);
    group.bench_function("keystroke to frame: search letter", |b| {
        b.iter_custom(|iters| {
            keystrokes(&mut terminal, &mut app, iters, |i| if i % 2 == 0 { "t" } else { "<backspace>" }, |_, _| {})
        })
    });

    // A colleague assigns the top ticket on screen and takes it back, turn
    // about; the console takes in each change and draws.
    let copy = tempfile::tempdir().expect("a directory for the copy");
    copy_dir(&size.dir().join("db"), &copy.path().join("db"));
    let written = Arc::new(Service::open(&copy.path().join("db"), OpenMode::Existing).expect("the copy"));
    let heard = written.subscribe();
    let desk = HearingDesk { local: LocalDesk::new(written.clone(), SUPERVISOR, Clock::Fixed(fixture_now())), heard };
    let mut watching =
        App::new(Box::new(desk), KeyMap::default(), Theme { color: true }).expect("the supervisor's console");
    frame(&mut terminal, &mut watching);
    let top = written.ticket_slots(SUPERVISOR, &QueueView::All, &TicketFilter::default()).expect("all open")[0];
    let colleague = Ctx::new(SUPERVISOR, fixture_now());
    let row = written.store().ticket_row(top.reference).expect("the top row").expect("a row");
    let mut assigned = row.assignee.is_some();
    group.bench_function("frame 200x50 after a colleague's change", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                assigned = !assigned;
                let to = assigned.then(|| SUPERVISOR.to_owned());
                written.execute(&colleague, &Assign { reference: top.reference, to }).expect("the colleague's change");
                let started = Instant::now();
                assert!(watching.take_events(), "the console heard nothing");
                frame(&mut terminal, &mut watching);
                spent += started.elapsed();
            }
            spent
        })
    });
    group.finish();
}

criterion_group!(benches, console_frames);
criterion_main!(benches);
