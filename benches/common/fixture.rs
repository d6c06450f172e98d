//! What the benches' fixtures share: the clock they are built at, where
//! they are cached, how a build starts, and the shape of a fixture ticket.
//!
//! A fixture is built once through `Service::execute`, as an import would
//! build it, under `target/bench-fixtures/NAME`; a `READY` file marks a
//! finished build and records what it holds and how long it took.
//!
//! Each bench uses part of this file, so unused items are expected.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use caredesk::domain::account::Account;
use caredesk::domain::organisation::IgStatus;
use caredesk::domain::routing::{Category, Channel};
use caredesk::domain::time::rfc3339;
use caredesk::service::ops::*;
use caredesk::service::{Ctx, Registered, Service, ServiceError};
use caredesk::store::{BATCH_RECORDS, OpenMode};
use chrono::{DateTime, Duration as Span, TimeZone, Utc};

use super::rng::Rng;

/// The fixtures' first supervisor.
pub const SUPERVISOR: &str = "benchsup";

/// A Wednesday morning in NAS hours (GMT): the fixtures' and the benches' clock.
pub fn fixture_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 12, 10, 30, 0).single().expect("a valid instant")
}

/// `target/bench-fixtures/NAME`, under `CARGO_TARGET_DIR` when it is set.
pub fn fixture_dir(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-fixtures").join(name)
}

/// The `READY` report of the fixture in `dir`, building it with `build`
/// first when there is no finished one.
pub fn cached(dir: &Path, what: &str, build: impl FnOnce(&Path) -> Result<String, ServiceError>) -> String {
    let ready = dir.join("READY");
    match std::fs::read_to_string(&ready) {
        Ok(text) => text,
        Err(_) => {
            eprintln!("fixture: building {what} in {} (cached after)", dir.display());
            let text = build(dir).expect("fixture build");
            std::fs::write(&ready, &text).expect("write READY");
            text
        }
    }
}

/// An empty database in `dir` (anything there before is removed) with the
/// fixtures' supervisor, and the context the build acts in.
pub fn new_database(dir: &Path) -> Result<(Service, Ctx), ServiceError> {
    new_database_with_cache(dir, caredesk::store::DEFAULT_CACHE_BYTES)
}

/// [`new_database`] with a page cache of `cache_bytes`, as the daemon's
/// `cache_mb` gives it.
pub fn new_database_with_cache(dir: &Path, cache_bytes: u64) -> Result<(Service, Ctx), ServiceError> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| ServiceError::BadInput(format!("{}: {e}", dir.display())))?;
    let store = caredesk::store::Store::open_with_cache(&dir.join("db"), OpenMode::CreateIfMissing, cache_bytes)?;
    let service = Service::with_store(store)?;
    let ctx = Ctx::new(SUPERVISOR, fixture_now());
    run(&service, &ctx, &Init)?;
    Ok((service, ctx))
}

pub fn run<O: Registered>(service: &Service, ctx: &Ctx, op: &O) -> Result<(), ServiceError> {
    service.execute(ctx, op).map(drop)
}

/// Who a fixture ticket is from: the account it is about, the requester's
/// name and phone.
pub struct Caller {
    pub account: Account,
    pub name: String,
    pub phone: String,
}

/// A request received on one of the `days` days before `now`, mostly in
/// working hours, of any category and channel, from the caller `who` draws:
/// routing spreads such tickets over the three queues and many are overdue.
/// (`who` draws after the time, category and channel, so a fixture built
/// from the same seed is the same ticket for ticket.)
pub fn fixture_ticket(
    rng: &mut Rng,
    now: DateTime<Utc>,
    days: u64,
    who: impl FnOnce(&mut Rng) -> Result<Caller, ServiceError>,
) -> Result<CreateTicket, ServiceError> {
    let day = now - Span::days(rng.below(days) as i64 + 1);
    let midnight = day.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let second = if rng.chance(60) { 9 * 3600 + rng.below(8 * 3600) } else { rng.below(24 * 3600) };
    let received = midnight + Span::seconds(second as i64);
    let category = Category::ALL[rng.below(Category::ALL.len() as u64) as usize];
    let channel = Channel::ALL[rng.below(Channel::ALL.len() as u64) as usize];
    let Caller { account, name, phone } = who(rng)?;
    Ok(CreateTicket {
        category,
        channel,
        received_at: Some(rfc3339(received)),
        requester_name: name,
        requester_email: None,
        requester_phone: Some(phone),
        ods: Some(account.ods.to_string()),
        account: category.is_simple().then(|| account.address.to_string()),
        mailbox: None,
        mailbox_name: Some(format!("{} shared", account.ods)),
        subject: format!("{} for {}", category.label(), account.address),
        body: "Caller rang the helpdesk; details as given.".to_owned(),
        incomplete: false,
    })
}

/// How one bench names its providers and people, so that two fixtures
/// never share a code, a surname or a mobile.
pub struct Population {
    /// The second letter of every ODS code ("VL…").
    pub ods_tag: char,
    /// The first letter of every surname ("T…").
    pub surname_tag: char,
    pub first_name: &'static str,
    /// Mobiles are 077 and this plus 7 for each person.
    pub mobile_base: u64,
    pub organisations: u64,
    pub accounts: u64,
}

impl Population {
    pub fn ods_code(&self, n: u64) -> String {
        format!("V{}{}{:03}", self.ods_tag, (b'A' + (n / 1000 % 26) as u8) as char, n % 1000)
    }

    /// "Taaa", "Taab", …: a surname of letters for account `n`.
    pub fn surname(&self, n: u64) -> String {
        let letter = |i: u64| (b'a' + (i % 26) as u8) as char;
        format!("{}{}{}{}", self.surname_tag, letter(n / 676), letter(n / 26), letter(n))
    }

    /// The providers, then the people spread over them, through the
    /// service like any other records.
    pub fn add(&self, service: &Service, ctx: &Ctx) -> Result<(), ServiceError> {
        for n in 0..self.organisations {
            let add = AddOrganisation {
                ods: self.ods_code(n),
                name: format!("Provider {n}"),
                ig: IgStatus::DsptStandardsMet,
                administered_by: None,
            };
            run(service, ctx, &add)?;
        }
        in_batches(service, self.accounts, |n| {
            let create = CreateAccount {
                first: self.first_name.to_owned(),
                last: self.surname(n),
                mobile: format!("077{:08}", self.mobile_base + n * 7),
                ods: self.ods_code(n % self.organisations),
                email: format!("{}.{}@example.org", self.first_name.to_lowercase(), self.surname(n).to_lowercase()),
                not_duplicate: true,
            };
            run(service, ctx, &create)
        })
    }
}

/// Runs `each` for 0 to `count`, [`BATCH_RECORDS`] to a batch of the
/// store, as an import writes, so that a million records take minutes; a
/// line every 100,000 tells how fast.
pub fn in_batches(
    service: &Service,
    count: u64,
    mut each: impl FnMut(u64) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let started = std::time::Instant::now();
    let mut n = 0;
    while n < count {
        let end = (n + BATCH_RECORDS as u64).min(count);
        service.batch(|| (n..end).try_for_each(&mut each))??;
        n = end;
        if n % 100_000 == 0 {
            eprintln!("fixture: {n} written, {:.0} a second", n as f64 / started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}
