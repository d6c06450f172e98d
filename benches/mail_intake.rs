//! Mail intake throughput: messages a second from a Maildir into tickets,
//! through the same `caredesk mail import` path (read, parse, thread or
//! route, commit with the message record and raw bytes, flush per batch,
//! mark seen). The target is 200 messages a second on the 2-core build
//! machine; the figures are in docs/performance.md.
//!
//! Each sample takes in a fresh Maildir of `BATCH` realistic messages (a
//! fifth of them replies that thread onto an earlier ticket) into a
//! database that already holds the earlier samples' tickets.

use std::time::{Duration, Instant};

use caredesk::domain::organisation::IgStatus;
use caredesk::mail::{Addresses, intake, maildir};
use caredesk::service::ops::*;
use caredesk::service::{Ctx, Service};
use caredesk::store::OpenMode;
use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const BATCH: u64 = 200;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-07T10:00:00Z").unwrap().to_utc()
}

fn message(n: u64) -> Vec<u8> {
    let reply = n % 5 == 4;
    let subject = if reply { format!("Re: New starter {}", n - 1) } else { format!("New starter {n}") };
    let threading = if reply { format!("In-Reply-To: <bench-{}@provider.example>\r\n", n - 1) } else { String::new() };
    format!(
        "Received: from mx.provider.example by mx.nhs.net; Wed, 7 Jan 2026 08:{:02}:{:02} +0000\r\n\
         From: Priya Shah <priya.shah{n}@provider.example>\r\nTo: careadmin@nhs.net\r\nSubject: {subject}\r\n\
         Message-ID: <bench-{n}@provider.example>\r\n{threading}Date: Wed, 7 Jan 2026 08:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         Hello NAS,\r\n\r\nWe have a new carer starting on Monday who needs an account. Our ODS code is V1234.\r\n\
         Her name is Amelia Jones.\r\n\r\nKind regards,\r\nPriya Shah\r\n\r\nOn Tue, 6 Jan 2026, NAS wrote:\r\n\
         > earlier text\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello NAS,</p><p>We have a new \
         carer starting on Monday.</p>\r\n--b--\r\n",
        (n / 60) % 60,
        n % 60
    )
    .into_bytes()
}

fn intake(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::open(&dir.path().join("db"), OpenMode::CreateIfMissing).unwrap();
    let ctx = Ctx::new("bench", now());
    service.execute(&ctx, &Init).unwrap();
    service
        .execute(
            &ctx,
            &AddOrganisation {
                ods: "V1234".into(),
                name: "Sunrise Care".into(),
                ig: IgStatus::DsptStandardsMet,
                administered_by: None,
            },
        )
        .unwrap();
    let mut next = 0u64;
    let mut group = c.benchmark_group("mail intake");
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("maildir, 200 messages", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let mail = dir.path().join(format!("Maildir-{next}"));
                for _ in 0..BATCH {
                    maildir::deliver(&mail, &format!("{next}.bench.host"), &message(next)).unwrap();
                    next += 1;
                }
                let started = Instant::now();
                let report = intake::import(&service, &ctx, &mail, &|m| Addresses::DEFAULT.channel_for(&m.to)).unwrap();
                spent += started.elapsed();
                assert_eq!(report.total() as u64, BATCH);
            }
            spent
        })
    });
    group.finish();
}

criterion_group!(benches, intake);
criterion_main!(benches);
