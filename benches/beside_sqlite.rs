//! caredesk beside SQLite, on the same rows, in one run: the look-ups and
//! the queue page an operator does all day, and import throughput, each
//! with p50 and p99 of single operations.
//!
//! Builds a fresh fixture in a temporary directory through the service, in
//! batches (`Service::batch`), then loads the same rows into an SQLite file
//! with the indexes a careful engineer would give it: unique mobile and
//! address, (surname, forename, id), (ODS code, id), and (queue, open, due,
//! number) for tickets, in WAL mode with `synchronous=NORMAL`. Beside them:
//! a raw sled get of an account record and a raw 50-key range read of an
//! index, the floors caredesk's reads are built from.
//!
//! `cargo bench --bench beside_sqlite` (1,000,000 accounts, 20,000 open
//! tickets); `CAREDESK_BENCH_ACCOUNTS` and `CAREDESK_BENCH_TICKETS` change
//! the sizes. Figures go to docs/performance.md.

use std::path::Path;
use std::time::{Duration, Instant};

use caredesk::domain::organisation::IgStatus;
use caredesk::domain::refusal::Refusal;
use caredesk::domain::routing::Queue;
use caredesk::domain::validate::{Mobile, OdsCode, fold_for_search};
use caredesk::import::{ImportKind, import_csv};
use caredesk::service::ops::*;
use caredesk::service::{Ctx, QueueView, Service, ServiceError, StatusFilter};
use caredesk::store::{BATCH_RECORDS, OpenMode, Store, TreeId};
use rusqlite::{Connection, params};

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/rng.rs"]
mod rng;

use fixture::{Caller, fixture_now, new_database, run};
use rng::Rng;

const ACCOUNTS_PER_ORG: u64 = 20;
/// Operations timed per figure.
const SAMPLES: usize = 20_000;
/// Untimed passes over an operation's keys before it is timed. After one,
/// a sled look-up still had a tail of about 17 µs at 1M accounts that a
/// second pass over the same tree did not have (see docs/performance.md).
const WARM_PASSES: usize = 2;

/// The allocator the caredesk binary runs on (`src/main.rs`), so the
/// library is timed as operators get it. SQLite keeps its own allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
/// Accounts in the import compared with a raw batched insert.
const IMPORTED: u64 = 5_000;

#[rustfmt::skip]
const SURNAMES: &[(&str, u64)] = &[
    ("Smith", 1150), ("Jones", 750), ("Williams", 600), ("Taylor", 500), ("Brown", 480), ("Davies", 450),
    ("Evans", 350), ("Wilson", 320), ("Thomas", 310), ("Johnson", 300), ("Roberts", 290), ("Robinson", 240),
    ("Thompson", 240), ("Wright", 230), ("Walker", 220), ("White", 210), ("Edwards", 210), ("Hughes", 200),
    ("Green", 200), ("Hall", 200), ("Lewis", 190), ("Harris", 190), ("Clarke", 185), ("Patel", 185),
    ("Jackson", 180), ("Wood", 175), ("Turner", 170), ("Martin", 170), ("Cooper", 165), ("Hill", 165),
    ("Smithson", 15), ("Smithers", 10), ("Núñez", 8), ("O'Brien", 40),
];
#[rustfmt::skip]
const FORENAMES: &[(&str, u64)] = &[
    ("Sarah", 300), ("Emma", 280), ("Claire", 260), ("Lisa", 250), ("Karen", 240), ("Susan", 230), ("Zoë", 60),
    ("Siân", 40), ("John", 220), ("David", 210), ("Michael", 200), ("Paul", 180), ("Mark", 170), ("Seán", 30),
    ("Fatima", 90), ("Priya", 70), ("Kwame", 30), ("Anne-Marie", 40), ("Tomasz", 50), ("Grace", 110),
];

fn surname(rng: &mut Rng) -> String {
    if rng.chance(25) {
        return rng.weighted(SURNAMES).to_owned();
    }
    const HEADS: &[&str] =
        &["Ash", "Brad", "Carl", "Dun", "Elm", "Fair", "Gold", "Hart", "Kings", "Lang", "Oak", "Pen"];
    const TAILS: &[&str] = &["ley", "ton", "worth", "field", "ford", "wood", "by", "ham", "well", "more", "stone"];
    format!("{}{}{}", rng.pick(HEADS), rng.pick(TAILS), rng.pick(&["", "e", "s"]))
}

fn mobile(n: u64) -> String {
    let tail = (n / 3).wrapping_mul(48_271).wrapping_add(12_345) % 100_000_000;
    format!("07{}{tail:08}", 7 + n % 3)
}

fn ods_code(n: u64) -> String {
    let letters = n / 1000;
    let (a, b) = ((b'A' + (letters / 26 % 26) as u8) as char, (b'A' + (letters % 26) as u8) as char);
    format!("V{a}{b}{:03}", n % 1000)
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// Builds caredesk's fixture through the service in batches.
fn build_caredesk(dir: &Path, accounts: u64, tickets: u64) -> Result<Service, ServiceError> {
    let started = Instant::now();
    let (service, ctx) = new_database(dir)?;
    let orgs = (accounts / ACCOUNTS_PER_ORG).max(1);
    let mut rng = Rng(7);
    let mut n = 0;
    while n < orgs {
        let end = (n + BATCH_RECORDS as u64).min(orgs);
        service.batch(|| {
            (n..end).try_for_each(|o| {
                let name = format!("Care Home {o}");
                run(
                    &service,
                    &ctx,
                    &AddOrganisation { ods: ods_code(o), name, ig: IgStatus::DsptStandardsMet, administered_by: None },
                )
            })
        })??;
        n = end;
    }
    let mut n = 0;
    while n < accounts {
        let end = (n + BATCH_RECORDS as u64).min(accounts);
        service.batch(|| {
            (n..end).try_for_each(|a| {
                let (first, last) = (rng.weighted(FORENAMES).to_owned(), surname(&mut rng));
                let local = fold_for_search(&format!("{first}.{last}")).replace([' ', '\''], "");
                let mut create = CreateAccount {
                    first,
                    last,
                    mobile: mobile(a),
                    ods: ods_code(rng.below(orgs)),
                    email: format!("{local}{a}@example.org"),
                    not_duplicate: false,
                };
                match run(&service, &ctx, &create) {
                    Err(ServiceError::Refused(Refusal::PossibleDuplicates { .. })) => {
                        create.not_duplicate = true;
                        run(&service, &ctx, &create)
                    }
                    other => other,
                }
            })
        })??;
        n = end;
        if n % 100_000 == 0 {
            eprintln!("caredesk: {n} accounts, {:.0} a second", n as f64 / started.elapsed().as_secs_f64());
        }
    }
    let now = fixture_now();
    let mut n = 0;
    while n < tickets {
        let end = (n + BATCH_RECORDS as u64).min(tickets);
        service.batch(|| {
            (n..end).try_for_each(|_| {
                let ticket = fixture::fixture_ticket(&mut rng, now, 30, |rng| {
                    let account = service.store().account(rng.below(accounts) + 1)?.expect("ids run from 1");
                    Ok(Caller { account, name: "A Caller".into(), phone: mobile(rng.below(1 << 28)) })
                })?;
                run(&service, &ctx, &ticket)
            })
        })??;
        n = end;
    }
    eprintln!("caredesk: fixture built in {:.0} s", started.elapsed().as_secs_f64());
    Ok(service)
}

/// The same accounts and open tickets in SQLite, read back from caredesk
/// so both hold exactly the same rows.
fn build_sqlite(path: &Path, service: &Service) -> Connection {
    let started = Instant::now();
    let db = Connection::open(path).expect("sqlite opens");
    db.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;
         CREATE TABLE accounts (id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE, first TEXT, last TEXT,
            last_fold TEXT, first_fold TEXT, mobile TEXT UNIQUE, ods TEXT, email TEXT, status TEXT, created TEXT);
         CREATE INDEX accounts_by_name ON accounts (last_fold, first_fold, id);
         CREATE INDEX accounts_by_org ON accounts (ods, id);
         CREATE TABLE tickets (number INTEGER PRIMARY KEY, queue INTEGER, open INTEGER, due INTEGER,
            received INTEGER, category TEXT, ods TEXT, requester TEXT, subject TEXT, status TEXT, assignee TEXT);
         CREATE INDEX tickets_by_queue ON tickets (queue, open, due, number);",
    )
    .expect("sqlite schema");
    let store = service.store();
    let last = store.last_number("account").expect("account count");
    let mut id = 1;
    while id <= last {
        let tx = db.unchecked_transaction().expect("a transaction");
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO accounts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
                .expect("prepare");
            for a in id..(id + 10_000).min(last + 1) {
                let Some(acc) = store.account(a).expect("read") else { continue };
                let p = acc.personal.as_ref().expect("personal data");
                insert
                    .execute(params![
                        acc.id as i64,
                        acc.address.as_str(),
                        p.first_name,
                        p.last_name,
                        fold_for_search(&p.last_name),
                        fold_for_search(&p.first_name),
                        p.mobile.as_str(),
                        acc.ods.as_str(),
                        p.email.as_str(),
                        format!("{:?}", acc.status),
                        acc.created_at.to_rfc3339(),
                    ])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
        id += 10_000;
    }
    let rows = service.ticket_rows("benchsup", &QueueView::All, StatusFilter::All, usize::MAX).expect("tickets");
    let tx = db.unchecked_transaction().expect("a transaction");
    {
        let mut insert =
            tx.prepare_cached("INSERT INTO tickets VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)").expect("p");
        for t in &rows {
            insert
                .execute(params![
                    t.reference.0 as i64,
                    t.queue.code(),
                    t.status.is_open(),
                    t.due_at.timestamp_millis(),
                    t.received_at.timestamp_millis(),
                    t.category.slug(),
                    t.ods.as_ref().map(|o| o.as_str().to_owned()),
                    t.requester,
                    t.subject,
                    t.status.slug(),
                    t.assignee,
                ])
                .expect("insert ticket");
        }
    }
    tx.commit().expect("commit");
    db.execute_batch("ANALYZE;").expect("analyze");
    eprintln!("sqlite: {last} accounts and {} tickets loaded in {:.0} s", rows.len(), started.elapsed().as_secs_f64());
    db
}

/// p50 and p99 of `op` over `keys`, cycled to [`SAMPLES`] operations, after
/// [`WARM_PASSES`] untimed passes over every key: each operation is timed
/// with the pages it reads as warm as the floor's, whose keys were also
/// read once more while they were sampled.
fn time<K>(keys: &[K], mut op: impl FnMut(&K)) -> (Duration, Duration) {
    for _ in 0..WARM_PASSES {
        for k in keys {
            op(k);
        }
    }
    let mut took: Vec<Duration> = keys
        .iter()
        .cycle()
        .take(SAMPLES)
        .map(|k| {
            let at = Instant::now();
            op(k);
            at.elapsed()
        })
        .collect();
    took.sort();
    (took[took.len() / 2], took[took.len() * 99 / 100])
}

fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn row(name: &str, ours: (Duration, Duration), sqlite: Option<(Duration, Duration)>, floor: Option<Duration>) {
    let theirs = sqlite.map_or("".to_owned(), |(p50, p99)| format!("{} / {}", us(p50), us(p99)));
    let ratio = floor.map_or("".to_owned(), |f| format!("{:.1}×", ours.1.as_secs_f64() / f.as_secs_f64()));
    println!("| {name} | {} / {} | {theirs} | {ratio} |", us(ours.0), us(ours.1));
}

fn main() {
    caredesk::memory::small_pages_only();
    if std::env::args().any(|a| a == "--list") {
        println!("beside_sqlite: bench");
        return;
    }
    let accounts = env("CAREDESK_BENCH_ACCOUNTS", 1_000_000);
    let tickets = env("CAREDESK_BENCH_TICKETS", 20_000);
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let service = build_caredesk(&dir.path().join("caredesk"), accounts, tickets).expect("the fixture builds");
    let sqlite = build_sqlite(&dir.path().join("sqlite.db"), &service);
    let store = service.store();
    let ctx = Ctx::new(fixture::SUPERVISOR, fixture_now());

    let mut rng = Rng(99);
    let ids: Vec<u64> = (0..5_000).map(|_| rng.below(accounts) + 1).collect();
    let sampled: Vec<(u64, String, String, String, String)> = ids
        .iter()
        .filter_map(|id| store.account(*id).ok().flatten())
        .map(|a| {
            let p = a.personal.clone().expect("personal");
            let last = fold_for_search(&p.last_name);
            (
                a.id,
                p.mobile.as_str().to_owned(),
                a.address.to_string(),
                last.chars().take(3).collect(),
                a.ods.to_string(),
            )
        })
        .collect();

    let raw_get = time(&sampled, |(id, ..)| {
        std::hint::black_box(store.raw_get(TreeId::Accounts, &id.to_be_bytes()).expect("raw get"));
    });
    // The same raw get of the index a look-up by mobile reads: tells the
    // tree's own tail apart from what the look-up adds to it.
    let raw_mobile = time(&sampled, |(_, m, ..)| {
        std::hint::black_box(store.raw_get(TreeId::AccountsByMobile, m.as_bytes()).expect("raw get"));
    });
    let raw_range = time(&sampled, |(.., ods)| {
        std::hint::black_box(store.raw_range(TreeId::AccountsByOrg, ods.as_bytes(), 50).expect("raw range"));
    });

    let mobile_ours = time(&sampled, |(_, m, ..)| {
        std::hint::black_box(store.account_by_mobile(&Mobile::parse(m).expect("mobile")).expect("read"));
    });
    let mut by_mobile = sqlite.prepare("SELECT * FROM accounts WHERE mobile = ?1").expect("p");
    let mobile_sqlite = time(&sampled, |(_, m, ..)| {
        let n = by_mobile.query_map([m], |r| r.get::<_, String>(1)).expect("q").count();
        std::hint::black_box(n);
    });
    let address_ours = time(&sampled, |(_, _, a, ..)| {
        std::hint::black_box(store.account_by_address(a).expect("read"));
    });
    let mut by_address = sqlite.prepare("SELECT * FROM accounts WHERE address = ?1").expect("p");
    let address_sqlite = time(&sampled, |(_, _, a, ..)| {
        std::hint::black_box(by_address.query_map([a], |r| r.get::<_, String>(1)).expect("q").count());
    });
    let surname_ours = time(&sampled, |(.., s, _)| {
        std::hint::black_box(store.accounts_by_name(s, None, 20).expect("read"));
    });
    let mut by_name = sqlite
        .prepare(
            "SELECT * FROM accounts WHERE last_fold >= ?1 AND last_fold < ?1 || char(1114111) \
             ORDER BY last_fold, first_fold, id LIMIT 20",
        )
        .expect("p");
    let surname_sqlite = time(&sampled, |(.., s, _)| {
        std::hint::black_box(by_name.query_map([s], |r| r.get::<_, String>(1)).expect("q").count());
    });
    let ods_ours = time(&sampled, |(.., o)| {
        std::hint::black_box(store.accounts_in_org(&OdsCode::parse(o).expect("ods"), 20).expect("read"));
    });
    let mut by_org = sqlite.prepare("SELECT * FROM accounts WHERE ods = ?1 ORDER BY id LIMIT 20").expect("p");
    let ods_sqlite = time(&sampled, |(.., o)| {
        std::hint::black_box(by_org.query_map([o], |r| r.get::<_, String>(1)).expect("q").count());
    });
    let queues = [Queue::Nas, Queue::Helpdesk, Queue::Resolver];
    let raw_queue = time(&queues, |q| {
        std::hint::black_box(store.raw_range(TreeId::TicketsByQueue, &[q.code(), 0], 50).expect("raw range"));
    });
    // The same page from the store alone (the range read and one decode a
    // row), to tell the decoding apart from what the service adds.
    let page_store = time(&queues, |q| {
        std::hint::black_box(store.queue_rows(*q, true, None, 50).expect("rows"));
    });
    let page_ours = time(&queues, |q| {
        std::hint::black_box(
            service.ticket_rows("benchsup", &QueueView::Queue(*q), StatusFilter::Open, 50).expect("page"),
        );
    });
    let mut page =
        sqlite.prepare("SELECT * FROM tickets WHERE queue = ?1 AND open = 1 ORDER BY due, number LIMIT 50").expect("p");
    let page_sqlite = time(&queues, |q| {
        std::hint::black_box(page.query_map([q.code()], |r| r.get::<_, String>(8)).expect("q").count());
    });

    println!("\n{accounts} accounts, {tickets} open tickets; p50 / p99 in µs over {SAMPLES} operations\n");
    println!("| operation | caredesk p50 / p99 | SQLite p50 / p99 | caredesk p99 ÷ floor p99 |");
    println!("|---|---|---|---|");
    row("raw sled get (floor for point look-ups)", raw_get, None, None);
    row("raw sled get of the mobile index", raw_mobile, None, Some(raw_get.1));
    row("raw 50-key range read (floor for pages)", raw_range, None, None);
    row("account by mobile", mobile_ours, Some(mobile_sqlite), Some(raw_get.1));
    row("account by address", address_ours, Some(address_sqlite), Some(raw_get.1));
    row("surname prefix, 20 rows", surname_ours, Some(surname_sqlite), Some(raw_range.1));
    row("ODS code, 20 rows", ods_ours, Some(ods_sqlite), Some(raw_range.1));
    row("raw 50-key range of the queue index", raw_queue, None, None);
    row("queue rows from the store, 50 (range + decode)", page_store, None, Some(raw_queue.1));
    row("queue page, 50 rows", page_ours, Some(page_sqlite), Some(raw_queue.1));
    drop(ctx);

    import_beside_raw(dir.path());
}

/// A CSV import of `IMPORTED` accounts into a fresh database, then the same
/// bytes it wrote, written raw in the same number of transactions.
fn import_beside_raw(dir: &Path) {
    let (service, ctx) = new_database(&dir.join("import")).expect("import db");
    for o in 0..50 {
        let add = AddOrganisation {
            ods: ods_code(o),
            name: format!("Care Home {o}"),
            ig: IgStatus::DsptStandardsMet,
            administered_by: None,
        };
        run(&service, &ctx, &add).expect("org");
    }
    let mut csv = String::from("first_name,last_name,mobile,ods,email\n");
    for a in 0..IMPORTED {
        let last: String = (0..4).map(|i| (b'a' + (a / 26u64.pow(i) % 26) as u8) as char).collect();
        csv.push_str(&format!("Import,Pers{last},{},{},person{a}@example.org\n", mobile(a), ods_code(a % 50)));
    }
    let before: std::collections::HashSet<(TreeId, Vec<u8>)> =
        service.store().raw_dump().expect("dump").into_iter().map(|(t, k, _)| (t, k)).collect();
    let started = Instant::now();
    let report =
        import_csv(&service, &ctx, ImportKind::Accounts, csv.as_bytes(), false, &mut |_, _| {}).expect("import");
    let import_secs = started.elapsed().as_secs_f64();
    assert_eq!(report.imported, IMPORTED);
    let writes: Vec<_> = service
        .store()
        .raw_dump()
        .expect("dump")
        .into_iter()
        .filter(|(t, k, _)| !before.contains(&(*t, k.clone())))
        .collect();
    drop(service);
    let raw = Store::open(&dir.join("raw"), OpenMode::CreateIfMissing).expect("raw db");
    let batches = IMPORTED.div_ceil(BATCH_RECORDS as u64) as usize;
    let per = writes.len().div_ceil(batches);
    let started = Instant::now();
    for chunk in writes.chunks(per) {
        raw.raw_transaction(chunk).expect("raw write");
    }
    let raw_secs = started.elapsed().as_secs_f64();
    let (ours, floor) = (IMPORTED as f64 / import_secs, IMPORTED as f64 / raw_secs);
    println!("\n| import of {IMPORTED} accounts | accounts a second | share of raw |");
    println!("|---|---|---|");
    println!(
        "| `import_csv` (checks, one command and audit entry each, batches of {BATCH_RECORDS}) | {ours:.0} | {:.0}% |",
        100.0 * ours / floor
    );
    println!("| raw: the same {} keys and values, {batches} transactions | {floor:.0} | 100% |", writes.len());
}
