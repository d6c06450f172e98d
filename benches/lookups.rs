//! What an operator waits for at national scale: account look-ups, logging a
//! ticket and a queue page, each beside a raw sled point read on the same
//! database so the figures can be read as "how many raw reads" as well as
//! in microseconds.
//!
//! The fixture (a million accounts unless `CAREDESK_BENCH_ACCOUNTS` says
//! otherwise) is built once through `Service::execute`, the way an import
//! would build it, and cached under `target/bench-fixtures/`; a `READY` file
//! marks a finished build and records how long it took. Delete the directory
//! to rebuild. The ticket benches add tickets to it on every run (the next
//! run closes them before timing anything, so the queues hold the fixture's
//! open tickets), so it is a timing fixture and nothing else. The figures
//! and the machine they came from are in docs/performance.md.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use caredesk::domain::organisation::IgStatus;
use caredesk::domain::refusal::Refusal;
use caredesk::domain::routing::{Category, Channel, Queue};
use caredesk::domain::ticket::{TicketRef, TicketStatus};
use caredesk::domain::validate::{Email, Mobile, OdsCode, fold_for_search};
use caredesk::service::ops::*;
use caredesk::service::{Ctx, QueueView, Service, ServiceError, StatusFilter};
use caredesk::store::{OpenMode, TreeId};
use chrono::{DateTime, Utc};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/rng.rs"]
mod rng;

use fixture::{Caller, SUPERVISOR, cached, fixture_now, new_database, run};
use rng::Rng;

const ACCOUNTS: u64 = 1_000_000;
/// The brief's 50,000 organisations for a million accounts.
const ACCOUNTS_PER_ORG: u64 = 20;
const OPEN_TICKETS: u64 = 20_000;
/// Accounts per batch (`Service::batch`): one transaction and flush each.
const CHUNK: u64 = caredesk::store::BATCH_RECORDS as u64;
/// Distinct keys each look-up bench cycles through, drawn from the whole
/// database so most reads miss sled's own cache as a busy desk's would.
const SAMPLED_KEYS: usize = 50_000;

/// Common surnames of England and Wales with rough weights per 100,000
/// people; together about a fifth of the population, as in life. The rest
/// come from [`tail_surname`]. Smithson and Smithers keep "smi" honest.
#[rustfmt::skip]
const SURNAMES: &[(&str, u64)] = &[
    ("Smith", 1150), ("Jones", 750), ("Williams", 600), ("Taylor", 500), ("Brown", 480), ("Davies", 450),
    ("Evans", 350), ("Wilson", 320), ("Thomas", 310), ("Johnson", 300), ("Roberts", 290), ("Robinson", 240),
    ("Thompson", 240), ("Wright", 230), ("Walker", 220), ("White", 210), ("Edwards", 210), ("Hughes", 200),
    ("Green", 200), ("Hall", 200), ("Lewis", 190), ("Harris", 190), ("Clarke", 185), ("Patel", 185),
    ("Jackson", 180), ("Wood", 175), ("Turner", 170), ("Martin", 170), ("Cooper", 165), ("Hill", 165),
    ("Ward", 160), ("Morris", 160), ("Moore", 155), ("Clark", 155), ("Lee", 150), ("King", 150), ("Baker", 150),
    ("Harrison", 145), ("Morgan", 145), ("Allen", 140), ("James", 140), ("Scott", 135), ("Phillips", 135),
    ("Watson", 135), ("Davis", 130), ("Parker", 130), ("Price", 125), ("Bennett", 125), ("Young", 125),
    ("Griffiths", 120), ("Mitchell", 120), ("Kelly", 120), ("Cook", 120), ("Carter", 115), ("Richardson", 115),
    ("Bailey", 115), ("Collins", 115), ("Bell", 110), ("Shaw", 110), ("Murphy", 110), ("Miller", 110), ("Cox", 105),
    ("Richards", 105), ("Khan", 105), ("Marshall", 105), ("Anderson", 100), ("Simpson", 100), ("Ellis", 100),
    ("Adams", 100), ("Singh", 100), ("Begum", 95), ("Wilkinson", 95), ("Foster", 95), ("Chapman", 90),
    ("Powell", 90), ("Webb", 90), ("Rogers", 90), ("Gray", 90), ("Mason", 85), ("Ali", 85), ("Hunt", 85),
    ("Hussain", 85), ("Campbell", 85), ("Matthews", 85), ("Owen", 80), ("Palmer", 80), ("Holmes", 80),
    ("Mills", 80), ("Barnes", 80), ("Knight", 80), ("Lloyd", 80), ("Butler", 75), ("Russell", 75), ("Barker", 75),
    ("Fisher", 75), ("Stevens", 75), ("Jenkins", 75), ("Dixon", 75), ("O'Brien", 40), ("Smithson", 15),
    ("Smithers", 10), ("Núñez", 8), ("Ní Bhriain", 3),
];

#[rustfmt::skip]
const FORENAMES: &[(&str, u64)] = &[
    ("Sarah", 300), ("Emma", 280), ("Claire", 260), ("Lisa", 250), ("Karen", 240), ("Susan", 230), ("Julie", 220),
    ("Helen", 220), ("Nicola", 210), ("Michelle", 200), ("Rachel", 200), ("Laura", 200), ("Jo", 120),
    ("Joanne", 180), ("Amy", 180), ("Hannah", 170), ("Jessica", 160), ("Sophie", 160), ("Chloé", 40), ("Zoë", 60),
    ("Siân", 40), ("Mary", 150), ("Margaret", 120), ("Patricia", 110), ("Grace", 110), ("Olivia", 110),
    ("Fatima", 90), ("Aisha", 80), ("Priya", 70), ("Agnieszka", 60), ("Maria", 120), ("Ana", 60), ("Joy", 50),
    ("Blessing", 50), ("Precious", 40), ("Renée", 20), ("John", 220), ("David", 210), ("Michael", 200),
    ("Paul", 180), ("Mark", 170), ("James", 170), ("Andrew", 160), ("Richard", 140), ("Peter", 120),
    ("Stephen", 120), ("Daniel", 110), ("Thomas", 100), ("Mohammed", 100), ("Tomasz", 50), ("Seán", 30),
    ("Oluwaseun", 30), ("Kwame", 30), ("Rajesh", 40), ("Anne-Marie", 40), ("Mary Jane", 20),
];

/// The long tail of surnames: 2,400 place-like names, each far rarer than
/// any in [`SURNAMES`].
fn tail_surname(rng: &mut Rng) -> String {
    const HEADS: &[&str] = &[
        "Ash", "Brad", "Carl", "Dun", "Elm", "Fair", "Gold", "Hart", "Ing", "Kings", "Lang", "Mar", "North", "Oak",
        "Pen", "Ring", "Stan", "Thorn", "Under", "Wes", "Whit", "Black", "Brook", "Cres", "Har", "Lock", "Mor", "Rad",
        "Sel", "Tal", "Vic", "Yar", "Ather", "Bram", "Crox", "Dal", "Fen", "Gar", "Hol", "Kel",
    ];
    const TAILS: &[&str] = &[
        "ley", "ton", "worth", "field", "ford", "wood", "by", "ham", "well", "more", "stone", "hurst", "combe", "den",
        "wick", "bury", "shaw", "land", "ridge", "cott",
    ];
    const ENDS: &[&str] = &["", "e", "s"];
    let head = HEADS[rng.below(HEADS.len() as u64) as usize];
    let tail = TAILS[rng.below(TAILS.len() as u64) as usize];
    let end = ENDS[rng.below(ENDS.len() as u64) as usize];
    format!("{head}{tail}{end}")
}

struct Person {
    first: String,
    last: String,
}

fn person(rng: &mut Rng) -> Person {
    let first = rng.weighted(FORENAMES).to_owned();
    let last = if rng.chance(20) { rng.weighted(SURNAMES).to_owned() } else { tail_surname(rng) };
    Person { first, last }
}

/// Unique for every `n` below 3 × 10^8: 077, 078 or 079 then a permuted
/// eight-digit tail (the multiplier is coprime with 10^8).
fn mobile(n: u64) -> String {
    let tail = (n / 3).wrapping_mul(48_271).wrapping_add(12_345) % 100_000_000;
    format!("07{}{tail:08}", 7 + n % 3)
}

/// "VAA001" …: upper-case letters and digits like real social care codes.
fn ods_code(n: u64) -> String {
    let letters = n / 1000;
    let (a, b) = ((b'A' + (letters / 26 % 26) as u8) as char, (b'A' + (letters % 26) as u8) as char);
    format!("V{a}{b}{:03}", n % 1000)
}

fn org_name(rng: &mut Rng, n: u64) -> String {
    const PLACES: &[&str] = &["Ashford", "Bramley", "Cheriton", "Dunmore", "Elmstead", "Fairhaven", "Greenacres"];
    const KINDS: &[&str] = &["Care Home", "Home Care", "Nursing Home", "Supported Living", "Day Centre"];
    let place = PLACES[rng.below(PLACES.len() as u64) as usize];
    let kind = KINDS[rng.below(KINDS.len() as u64) as usize];
    format!("{place} {kind} {n}")
}

/// Bump when the store's keys or indexes change, so an old cached fixture
/// is rebuilt rather than measured.
const FIXTURE_VERSION: u32 = 3;

fn fixture_dir(accounts: u64) -> PathBuf {
    let name = if accounts == ACCOUNTS { "million".to_owned() } else { format!("{accounts}-accounts") };
    fixture::fixture_dir(&format!("{name}-v{FIXTURE_VERSION}"))
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Builds the fixture through the service and returns the `READY` text.
fn build(dir: &Path, accounts: u64) -> Result<String, ServiceError> {
    let started = Instant::now();
    let (service, ctx) = new_database(dir)?;
    let store = service.store();

    let orgs = (accounts / ACCOUNTS_PER_ORG).max(1);
    let mut rng = Rng(1);
    service.batch(|| {
        for n in 0..orgs {
            let name = org_name(&mut rng, n);
            let ods = ods_code(n);
            let add = AddOrganisation { ods, name, ig: IgStatus::DsptStandardsMet, administered_by: None };
            run(&service, &ctx, &add)?;
        }
        Ok::<_, ServiceError>(())
    })??;
    let orgs_secs = started.elapsed().as_secs_f64();
    eprintln!("fixture: {orgs} organisations in {orgs_secs:.1}s");

    let accounts_started = Instant::now();
    let mut confirmed_not_duplicate = 0u64;
    let mut done = 0u64;
    while done < accounts {
        let end = (done + CHUNK).min(accounts);
        service.batch(|| {
            for n in done..end {
                let p = person(&mut rng);
                let domain =
                    ["gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "hotmail.co.uk"][n as usize % 5];
                let local = fold_for_search(&format!("{}.{}", p.first, p.last)).replace([' ', '\''], "");
                let mut create = CreateAccount {
                    first: p.first,
                    last: p.last,
                    mobile: mobile(n),
                    ods: ods_code(rng.below(orgs)),
                    email: format!("{local}{n}@{domain}"),
                    not_duplicate: false,
                };
                match run(&service, &ctx, &create) {
                    // Same name in the same organisation: the operator checks and confirms.
                    Err(ServiceError::Refused(Refusal::PossibleDuplicates { .. })) => {
                        create.not_duplicate = true;
                        confirmed_not_duplicate += 1;
                        run(&service, &ctx, &create)?;
                    }
                    other => other?,
                }
                if (n + 1) % 10_000 == 0 {
                    let secs = accounts_started.elapsed().as_secs_f64();
                    eprintln!("fixture: {} accounts, {:.0}/s, {secs:.0}s", n + 1, (n + 1) as f64 / secs);
                }
            }
            Ok::<_, ServiceError>(())
        })??;
        done = end;
    }
    let accounts_secs = accounts_started.elapsed().as_secs_f64();

    let tickets_started = Instant::now();
    let now = fixture_now();
    service.batch(|| {
        for _ in 0..OPEN_TICKETS {
            run(&service, &ctx, &fixture_ticket(&service, &mut rng, accounts, now)?)?;
        }
        Ok::<_, ServiceError>(())
    })??;
    let tickets_secs = tickets_started.elapsed().as_secs_f64();
    let total_secs = started.elapsed().as_secs_f64();
    eprintln!("fixture: {OPEN_TICKETS} tickets in {tickets_secs:.1}s; built in {total_secs:.0}s");
    Ok(format!(
        "accounts {accounts}\norganisations {orgs}\nopen_tickets {OPEN_TICKETS}\nlast_ticket {}\n\
         confirmed_not_duplicate {confirmed_not_duplicate}\norganisations_seconds {orgs_secs:.1}\n\
         accounts_seconds {accounts_secs:.1}\ntickets_seconds {tickets_secs:.1}\nbuild_seconds {total_secs:.1}\n",
        store.last_number("ticket")?
    ))
}

/// A ticket received in the last 30 days, mostly in working hours, about a
/// real account; routing spreads them over the three queues.
fn fixture_ticket(
    service: &Service,
    rng: &mut Rng,
    accounts: u64,
    now: DateTime<Utc>,
) -> Result<CreateTicket, ServiceError> {
    fixture::fixture_ticket(rng, now, 30, |rng| {
        let account = service.store().account(rng.below(accounts) + 1)?.expect("account ids run from 1");
        let p = person(rng);
        Ok(Caller { account, name: format!("{} {}", p.first, p.last), phone: mobile(rng.below(1 << 28)) })
    })
}

/// Opens the cached fixture, building it first if there is no finished one.
fn fixture() -> Service {
    let accounts = std::env::var("CAREDESK_BENCH_ACCOUNTS").ok().and_then(|s| s.parse().ok()).unwrap_or(ACCOUNTS);
    let dir = fixture_dir(accounts);
    let report = cached(&dir, &format!("{accounts} accounts (minutes)"), |dir| build(dir, accounts));
    eprintln!("fixture: {}, {} MiB on disk\n{report}", dir.display(), dir_bytes(&dir) >> 20);
    let service = Service::open(&dir.join("db"), OpenMode::Existing).expect("open the fixture");
    // Tickets up to this number are the fixture's own or already closed.
    let tidied = dir.join("TIDIED");
    let since = std::fs::read_to_string(&tidied)
        .ok()
        .or(Some(report))
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("last_ticket ")?.parse().ok()))
        .unwrap_or(OPEN_TICKETS);
    let newest = close_bench_tickets(&service, since).expect("close the tickets earlier runs logged");
    std::fs::write(&tidied, format!("last_ticket {newest}\n")).expect("write TIDIED");
    service
}

/// Closes the tickets earlier runs' ticket benches logged after ticket
/// `since`, so every queue page is timed against the fixture's open tickets
/// and no more. They stay in the database as closed tickets, as a real
/// desk's do. Returns the newest ticket number.
fn close_bench_tickets(service: &Service, since: u64) -> Result<u64, ServiceError> {
    let started = Instant::now();
    let ctx = Ctx::new(SUPERVISOR, fixture_now());
    let newest = service.store().last_number("ticket")?;
    let mut closed = 0;
    service.store().bulk(|| {
        for n in since + 1..=newest {
            match service.store().ticket(TicketRef(n))? {
                Some(t) if t.is_open() => {
                    run(service, &ctx, &SetStatus { reference: t.reference, status: TicketStatus::Closed })?;
                    closed += 1;
                }
                _ => {}
            }
        }
        Ok::<_, ServiceError>(())
    })?;
    if closed > 0 {
        eprintln!(
            "fixture: closed {closed} tickets left open by earlier runs in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(newest)
}

/// Keys drawn at random from the whole database, and what each bench looks up.
#[derive(Default)]
struct Keys {
    ids: Vec<u64>,
    addresses: Vec<String>,
    mobiles: Vec<Mobile>,
    surname_prefixes: Vec<String>,
    /// What the duplicate check before a new account is given.
    people: Vec<(String, String, OdsCode, Email)>,
    tickets: Vec<CreateTicket>,
}

fn sample(service: &Service) -> Keys {
    let started = Instant::now();
    let store = service.store();
    let accounts = store.last_number("account").expect("account sequence");
    let mut rng = Rng(7);
    let mut keys = Keys::default();
    while keys.ids.len() < SAMPLED_KEYS {
        let id = rng.below(accounts) + 1;
        let Some(a) = store.account(id).expect("read account") else { continue };
        let Some(p) = &a.personal else { continue };
        let folded = fold_for_search(&p.last_name);
        keys.surname_prefixes.push(folded.chars().take(3).collect());
        keys.people.push((p.first_name.clone(), p.last_name.clone(), a.ods.clone(), p.email.clone()));
        keys.mobiles.push(p.mobile.clone());
        keys.tickets.push(CreateTicket {
            category: Category::PasswordReset,
            channel: Channel::Phone,
            received_at: None,
            requester_name: format!("{} {}", p.first_name, p.last_name),
            requester_email: None,
            requester_phone: Some(p.mobile.to_string()),
            ods: Some(a.ods.to_string()),
            account: Some(a.address.to_string()),
            mailbox: None,
            mailbox_name: None,
            subject: "Forgotten password".to_owned(),
            body: "Caller verified by registered mobile.".to_owned(),
            incomplete: false,
        });
        keys.addresses.push(a.address.to_string());
        keys.ids.push(id);
    }
    let smi = store.accounts_by_name("smi", None, usize::MAX).map_or(0, |v| v.len());
    let open: Vec<String> = Queue::ALL
        .iter()
        .map(|q| format!("{} {}", q.slug(), store.queue_page(*q, true, None, usize::MAX).map_or(0, |p| p.len())))
        .collect();
    eprintln!(
        "keys: {SAMPLED_KEYS} accounts sampled in {:.1}s; \"smi\" matches {smi} accounts; open tickets: {}",
        started.elapsed().as_secs_f64(),
        open.join(", ")
    );
    keys
}

/// Cycles through a key list so no two neighbouring iterations read one key.
fn cycle<'a, T>(list: &'a [T]) -> impl FnMut() -> &'a T {
    let mut i = 0;
    move || {
        i = (i + 1) % list.len();
        &list[i]
    }
}

fn national_scale(c: &mut Criterion) {
    let service = fixture();
    let store = service.store();
    let keys = sample(&service);
    let ctx = Ctx::new(SUPERVISOR, fixture_now());

    let mut raw = c.benchmark_group("raw");
    raw.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    let mut id = cycle(&keys.ids);
    raw.bench_function("sled_get", |b| {
        b.iter(|| black_box(store.raw_get(TreeId::Accounts, &id().to_be_bytes()).expect("raw read")))
    });
    // The same read when every key is already in sled's cache: the floor.
    let mut hot = cycle(&keys.ids[..64]);
    raw.bench_function("sled_get_cached", |b| {
        b.iter(|| black_box(store.raw_get(TreeId::Accounts, &hot().to_be_bytes()).expect("raw read")))
    });
    raw.finish();

    let mut lookup = c.benchmark_group("lookup");
    lookup.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    let mut prefix = cycle(&keys.surname_prefixes);
    lookup.bench_function("surname_prefix", |b| {
        b.iter(|| black_box(service.find_accounts(prefix(), 20).expect("search")))
    });
    lookup.bench_function("surname_smi", |b| b.iter(|| black_box(service.find_accounts("smi", 20).expect("search"))));
    // The check every new account runs: same email, or same name in the same organisation.
    let mut person = cycle(&keys.people);
    lookup.bench_function("likely_duplicates", |b| {
        b.iter(|| {
            let (first, last, ods, email) = person();
            black_box(service.likely_duplicates(first, last, ods, Some(email)).expect("duplicate check"))
        })
    });
    let mut mobile = cycle(&keys.mobiles);
    lookup.bench_function("mobile", |b| {
        b.iter(|| black_box(store.account_by_mobile(mobile()).expect("look-up").expect("a sampled account")))
    });
    let mut address = cycle(&keys.addresses);
    lookup.bench_function("address", |b| {
        b.iter(|| black_box(store.account_by_address(address()).expect("look-up").expect("a sampled account")))
    });
    lookup.finish();

    let mut queue = c.benchmark_group("queue");
    queue.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    let nas = QueueView::Queue(Queue::Nas);
    queue.bench_function("page50", |b| {
        b.iter(|| black_box(service.ticket_rows(SUPERVISOR, &nas, StatusFilter::Open, 50).expect("queue page")))
    });
    queue.bench_function("page50_all_queues", |b| {
        b.iter(|| {
            black_box(service.ticket_rows(SUPERVISOR, &QueueView::All, StatusFilter::Open, 50).expect("queue page"))
        })
    });
    queue.finish();

    // Each create commits and flushes to disk, as an operator's does.
    let mut tickets = c.benchmark_group("tickets");
    tickets.sampling_mode(SamplingMode::Flat).sample_size(20);
    tickets.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(6));
    let mut ticket = cycle(&keys.tickets);
    tickets.bench_function("create", |b| b.iter(|| service.execute(&ctx, &ticket().clone()).expect("ticket")));
    // The same with the flush deferred to the end of the batch (bulk import), labelled as such.
    tickets.bench_function("create_bulk_unflushed", |b| {
        b.iter_custom(|iters| {
            store
                .bulk(|| {
                    let started = Instant::now();
                    for _ in 0..iters {
                        service.execute(&ctx, &ticket().clone())?;
                    }
                    Ok::<_, ServiceError>(started.elapsed())
                })
                .expect("tickets")
        })
    });
    tickets.finish();
}

criterion_group!(benches, national_scale);
criterion_main!(benches);
