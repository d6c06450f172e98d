//! How long a backup holds writers back, and how long the whole backup
//! and a restore take, on a database of `CAREDESK_BENCH_ACCOUNTS` accounts
//! (20,000 unless set) built through the service and cached under
//! `target/bench-fixtures/`. The pause is what operators feel: their
//! writes wait only while the snapshot copies the trees into memory. The
//! figures and the machine they came from are in docs/performance.md.

use std::time::{Duration, Instant};

use caredesk::service::Service;
use caredesk::store::{OpenMode, Store};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/rng.rs"]
mod rng;

use fixture::{Population, cached, fixture_dir, new_database};

fn accounts() -> u64 {
    std::env::var("CAREDESK_BENCH_ACCOUNTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

fn database() -> std::path::PathBuf {
    let n = accounts();
    let dir = fixture_dir(&format!("backup-{n}"));
    let people = Population {
        ods_tag: 'K',
        surname_tag: 'K',
        first_name: "Kim",
        mobile_base: 40_000_000,
        organisations: (n / 20).max(1),
        accounts: n,
    };
    cached(&dir, &format!("{n} accounts"), |dir| {
        let started = Instant::now();
        let (service, ctx) = new_database(dir)?;
        service.store().bulk(|| people.add(&service, &ctx))?;
        Ok(format!("{n} accounts in {:?}\n", started.elapsed()))
    });
    dir.join("db")
}

fn backup(c: &mut Criterion) {
    let db = database();
    let service = Service::open(&db, OpenMode::Existing).expect("the fixture opens");
    let store = service.store();
    let out = tempfile::tempdir().expect("a folder for the backups");
    let mut group = c.benchmark_group("backup");
    group.sample_size(10);
    group.bench_function(format!("writes paused ({} accounts)", accounts()), |b| {
        b.iter_custom(|iters| {
            let mut paused = Duration::ZERO;
            for _ in 0..iters {
                paused += store.snapshot().expect("a snapshot").paused;
            }
            paused
        })
    });
    let mut n = 0;
    group.bench_function(format!("backup to a file ({} accounts)", accounts()), |b| {
        b.iter(|| {
            n += 1;
            let path = out.path().join(format!("{n}.backup"));
            let made = store.backup(&path).expect("the backup");
            std::fs::remove_file(&path).expect("remove it");
            made.bytes
        })
    });
    let file = out.path().join("restore-from.backup");
    store.backup(&file).expect("the backup to restore");
    group.bench_function(format!("restore ({} accounts)", accounts()), |b| {
        b.iter(|| {
            n += 1;
            let into = out.path().join(format!("restored-{n}"));
            Store::restore(&file, &into).expect("the restore");
            std::fs::remove_dir_all(&into).expect("remove it");
        })
    });
    group.finish();
}

criterion_group!(benches, backup);
criterion_main!(benches);
