//! The demo database and CSV import, driven through the public API against
//! a temporary sled database, as the CLI drives them.

use std::collections::HashSet;
use std::sync::OnceLock;

use caredesk::demo::{DemoSummary, Plan, Scale, build_demo, build_demo_plan};
use caredesk::domain::account::{Account, AccountStatus};
use caredesk::domain::organisation::{Administration, IgStatus};
use caredesk::domain::permission::Role;
use caredesk::domain::routing::{Category, Channel, Queue};
use caredesk::domain::ticket::{Ticket, TicketRef, TicketStatus};
use caredesk::domain::validate::OdsCode;
use caredesk::import::{ImportError, ImportKind, import_csv};
use caredesk::service::ops::*;
use caredesk::service::{Ctx, QueueView, Service, ServiceError, StatusFilter};
use caredesk::store::OpenMode;
use chrono::{DateTime, Duration, Utc};
use tempfile::TempDir;

/// Wednesday 7 January 2026, 10:00 in London: the NAS is open.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-07T10:00:00Z").unwrap().to_utc()
}

/// A new database whose only record is its supervisor, "tester".
fn fresh() -> (TempDir, Service, Ctx) {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::open(dir.path(), OpenMode::CreateIfMissing).unwrap();
    let ctx = Ctx::new("tester", now());
    service.execute(&ctx, &Init).unwrap();
    (dir, service, ctx)
}

struct Demo {
    _dir: TempDir,
    service: Service,
    summary: DemoSummary,
    tickets: Vec<Ticket>,
}

/// The demo-scale database, built once for all the tests that read it.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let (dir, service, ctx) = fresh();
        let mut phases = HashSet::new();
        let summary = build_demo(&service, &ctx, Scale::Demo, &mut |phase, _, _| {
            phases.insert(phase.to_owned());
        })
        .unwrap();
        assert!(phases.contains("replaying the history"), "{phases:?}");
        println!("{summary}");
        let tickets = (1..=service.store().last_number("ticket").unwrap())
            .filter_map(|n| service.store().ticket(TicketRef(n)).unwrap())
            .collect();
        Demo { _dir: dir, service, summary, tickets }
    })
}

#[test]
fn the_demo_has_accounts_in_every_status() {
    let demo = demo();
    for (status, count) in &demo.summary.accounts_by_status {
        assert!(*count > 0, "no {} accounts in {:?}", status.label(), demo.summary.accounts_by_status);
    }
    let store = demo.service.store();
    let accounts: Vec<_> =
        (1..=store.last_number("account").unwrap()).filter_map(|id| store.account(id).unwrap()).collect();
    let live = |a: &&Account| a.status != AccountStatus::Deleted;
    assert!(accounts.iter().filter(live).any(|a| a.locked_at.is_some()), "no locked account");
    assert!(accounts.iter().any(|a| a.mobile_hidden), "no mobile hidden from the directory");
    assert!(accounts.iter().any(|a| matches!(a.administered_by, Administration::Local { .. })));
    assert!(accounts.iter().any(|a| a.address.local_part().ends_with('1')), "no jo.smith1 style address");
    assert!(accounts.iter().filter_map(|a| a.personal.as_ref()).any(|p| !p.last_name.is_ascii()));
    assert!(accounts.iter().filter(|a| a.status == AccountStatus::Deleted).all(|a| a.personal.is_none()));
}

#[test]
fn the_demo_fills_every_queue_in_and_out_of_hours() {
    let demo = demo();
    for (queue, open, total) in &demo.summary.tickets_by_queue {
        assert!(*total > 0, "{} queue: {open} open of {total}", queue.label());
    }
    assert!(demo.summary.tickets_by_queue.iter().any(|(_, open, _)| *open > 0));
    let hours = demo.service.hours();
    let in_hours = |t: &Ticket| hours.is_open(t.received_at);
    assert!(demo.tickets.iter().any(in_hours) && !demo.tickets.iter().all(in_hours));
    let categories: HashSet<Category> = demo.tickets.iter().map(|t| t.category).collect();
    assert_eq!(categories.len(), Category::ALL.len(), "{categories:?}");
    let channels: HashSet<String> = demo.tickets.iter().map(|t| t.channel.slug().to_owned()).collect();
    assert_eq!(channels.len(), Channel::ALL.len(), "{channels:?}");
    let statuses: HashSet<TicketStatus> = demo.tickets.iter().map(|t| t.status).collect();
    for status in [TicketStatus::New, TicketStatus::InProgress, TicketStatus::Resolved, TicketStatus::Closed] {
        assert!(statuses.contains(&status), "no {status} ticket in {statuses:?}");
    }
    let overdue = demo.tickets.iter().filter(|t| t.is_open() && t.routing.due_at < now()).count();
    assert!(overdue > 0, "no overdue ticket");
    assert!(demo.tickets.iter().any(|t| t.account.is_some()) && demo.tickets.iter().any(|t| t.mailbox.is_some()));
    // Work on a queue is done by a role that may work it.
    for t in &demo.tickets {
        if let Some(who) = &t.assignee {
            let allowed = match t.routing.queue {
                Queue::Nas => ["nas1", "nas2"].as_slice(),
                Queue::Helpdesk => &["helpdesk1", "helpdesk2"],
                Queue::Resolver => &["resolver1", "resolver2"],
            };
            assert!(allowed.contains(&who.as_str()) || who == "tester", "{} claimed by {who}", t.reference);
        }
    }
}

#[test]
fn demo_resets_use_every_verification_method() {
    let timelines: Vec<String> =
        demo().tickets.iter().flat_map(|t| t.timeline.iter().map(|e| e.text.clone())).collect();
    for step in ["verified by security questions", "verified by their registered mobile", "confirmed they checked"] {
        assert!(timelines.iter().any(|text| text.contains(step)), "no reset {step}");
    }
}

#[test]
fn demo_owners_are_members_and_the_audit_is_intact() {
    let demo = demo();
    let store = demo.service.store();
    let mut owned = 0;
    for id in 1..=store.last_number("mailbox").unwrap() {
        let Some(mailbox) = store.mailbox(id).unwrap() else { continue };
        if let Some(owner) = mailbox.owner {
            assert!(store.is_member(mailbox.id, owner).unwrap(), "the owner of {} is not a member", mailbox.address);
            owned += 1;
        }
    }
    assert!(owned > 0);
    let entries = demo.service.verify_audit().unwrap();
    assert_eq!(entries, demo.summary.audit_entries);
    assert_eq!(demo.summary.operators, 8, "the supervisor and the seven demo operators");
}

#[test]
fn the_same_now_builds_the_same_demo() {
    let build = || {
        let (dir, service, ctx) = fresh();
        let mut summary = build_demo_plan(&service, &ctx, &SMALL, &mut |_, _, _| {}).unwrap();
        summary.elapsed = std::time::Duration::ZERO;
        let page = ListTickets { view: QueueView::All, status: StatusFilter::Open, limit: 50 };
        let rows = service.execute(&ctx, &page).unwrap();
        (dir, summary, rows)
    };
    let (_a, first, first_rows) = build();
    let (_b, second, second_rows) = build();
    assert_eq!(first, second);
    assert!(!first_rows.is_empty());
    assert_eq!(first_rows, second_rows);
}

#[test]
fn the_demo_refuses_a_database_with_data() {
    let (_dir, service, ctx) = fresh();
    let org = AddOrganisation {
        ods: "V1A2B".into(),
        name: "Rosewood Lodge".into(),
        ig: IgStatus::DsptStandardsMet,
        administered_by: None,
    };
    service.execute(&ctx, &org).unwrap();
    let err = build_demo(&service, &ctx, Scale::Demo, &mut |_, _, _| {}).unwrap_err().to_string();
    assert!(err.contains("already holds data"), "{err}");
}

// CSV import

/// A database with two providers that meet the IG requirement, one that
/// does not, and an account to own mailboxes.
fn with_providers() -> (TempDir, Service, Ctx) {
    let (dir, service, ctx) = fresh();
    for (ods, name, ig) in [
        ("V1A2B", "Rosewood Lodge", IgStatus::DsptStandardsMet),
        ("8JT12", "Compass Home Care", IgStatus::DsptStandardsExceeded),
        ("VX9Z9", "Kingfisher House", IgStatus::NotMet),
    ] {
        let command = AddOrganisation { ods: ods.into(), name: name.into(), ig, administered_by: None };
        service.execute(&ctx, &command).unwrap();
    }
    (dir, service, ctx)
}

fn import(service: &Service, ctx: &Ctx, kind: ImportKind, csv: &str, skip_bad: bool) -> Result<u64, ImportError> {
    import_csv(service, ctx, kind, csv.as_bytes(), skip_bad, &mut |_, _| {}).map(|r| r.imported)
}

const ACCOUNTS: &str = "first_name,last_name,mobile,ods,email
Siân,O'Brien,07700 900001,V1A2B,sian@example.org
Zoë,Nguyễn,0161 496 0000,V1A2B,zoe@example.org
Łukasz,Wójcik,+44 7700 900003,8JT12,lukasz@example.org
Jo,Smith,07700900004,V9999,jo@example.org
";

#[test]
fn a_good_orgs_file_imports_every_line() {
    let (_dir, service, ctx) = fresh();
    let csv = "Name,ODS,IG_Status,administered_by
Harrogate Care Partnership,RX1,yes,
Rosewood Lodge,v1a2b,dspt-standards-exceeded,RX1
\"Compass Home Care, Wigan\",8JT12,no,nas
";
    let mut calls = 0;
    let report = import_csv(&service, &ctx, ImportKind::Orgs, csv.as_bytes(), false, &mut |_, _| calls += 1).unwrap();
    assert_eq!((report.imported, report.skipped.len()), (3, 0));
    assert!(calls > 0);
    let org = service.store().organisation(&OdsCode::parse("V1A2B").unwrap()).unwrap().unwrap();
    assert_eq!(org.administered_by, Administration::Local { sponsor: OdsCode::parse("RX1").unwrap() });
    let org = service.store().organisation(&OdsCode::parse("8JT12").unwrap()).unwrap().unwrap();
    assert_eq!((org.name.as_str(), org.ig), ("Compass Home Care, Wigan", IgStatus::NotMet));
}

/// What a spreadsheet saves as "CSV UTF-8": a byte-order mark, CRLF line
/// ends, quotes around values with commas, blank rows at the end.
#[test]
fn a_spreadsheet_export_imports_as_typed() {
    let (_dir, service, ctx) = fresh();
    let csv = "\u{feff}ods,name,ig_status\r\nV1A2B,\"Rosewood Lodge, York\",yes\r\n,,\r\n,,\r\n";
    assert_eq!(import(&service, &ctx, ImportKind::Orgs, csv, false).unwrap(), 1);
    let org = service.store().organisation(&OdsCode::parse("V1A2B").unwrap()).unwrap().unwrap();
    assert_eq!(org.name, "Rosewood Lodge, York");
}

#[test]
fn a_file_with_two_bad_lines_imports_nothing_and_names_both() {
    let (_dir, service, ctx) = with_providers();
    let before = service.store().audit_head().unwrap();
    let Err(ImportError::BadLines(bad)) = import(&service, &ctx, ImportKind::Accounts, ACCOUNTS, false) else {
        panic!("the bad lines were not reported")
    };
    assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), [3, 5]);
    assert!(bad[0].reason.contains("is a landline"), "{}", bad[0].reason);
    assert!(bad[1].reason.contains("V9999 does not exist"), "{}", bad[1].reason);
    let message = ImportError::BadLines(bad).to_string();
    assert!(
        message.contains("line 3: mobile number \"0161 496 0000\" is a landline") && message.contains("--skip-bad")
    );
    assert_eq!(service.store().audit_head().unwrap(), before, "nothing may be written");
}

#[test]
fn skip_bad_imports_the_good_lines_and_reports_the_rest() {
    let (_dir, service, ctx) = with_providers();
    let report = import_csv(&service, &ctx, ImportKind::Accounts, ACCOUNTS.as_bytes(), true, &mut |_, _| {}).unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(report.skipped.iter().map(|b| b.line).collect::<Vec<_>>(), [3, 5]);
    for address in ["sian.obrien@nhs.net", "lukasz.wojcik@nhs.net"] {
        assert!(service.store().account_by_address(address).unwrap().is_some(), "{address} missing");
    }
}

#[test]
fn the_same_mobile_twice_in_a_file_is_caught() {
    let (_dir, service, ctx) = with_providers();
    let csv = "first_name,last_name,mobile,ods,email
Siân,O'Brien,07700 900001,V1A2B,sian@example.org
Sean,Murphy,+44 7700 900001,8JT12,sean@example.org
";
    let Err(ImportError::BadLines(bad)) = import(&service, &ctx, ImportKind::Accounts, csv, false) else {
        panic!("the repeated mobile was not caught")
    };
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, 3);
    assert!(bad[0].reason.contains("also on line 2"), "{}", bad[0].reason);
}

#[test]
fn accounts_for_a_provider_failing_ig_are_refused_with_what_to_do() {
    let (_dir, service, ctx) = with_providers();
    let csv = "first_name,last_name,mobile,ods,email\nAoife,Kelly,07700900009,VX9Z9,aoife@example.org\n";
    let Err(ImportError::BadLines(bad)) = import(&service, &ctx, ImportKind::Accounts, csv, false) else {
        panic!("the IG refusal was not reported")
    };
    assert!(bad[0].reason.contains("Standards Met"), "{}", bad[0].reason);
}

#[test]
fn a_mailboxes_file_adds_the_owner_and_members() {
    let (_dir, service, ctx) = with_providers();
    import(
        &service,
        &ctx,
        ImportKind::Accounts,
        "first_name,last_name,mobile,ods,email
Siân,O'Brien,07700 900001,V1A2B,sian@example.org
Jo,Smith,07700 900002,V1A2B,jo@example.org
Jo,Bloggs,07700 900005,V1A2B,jb@example.org
",
        false,
    )
    .unwrap();
    let csv = "address,name,ods,owner,members
rosewood-lodge.referrals@nhs.net,Rosewood Lodge Referrals,V1A2B,sian.obrien@nhs.net,jo.smith@nhs.net; jo.bloggs@nhs.net;sian.obrien@nhs.net
";
    // An owner who has not yet activated their account cannot be reached as one.
    let Err(ImportError::BadLines(bad)) = import(&service, &ctx, ImportKind::Mailboxes, csv, false) else {
        panic!("a pending owner was accepted")
    };
    assert!(bad[0].reason.contains("not been activated yet"), "{}", bad[0].reason);
    service.execute(&ctx, &RecordPasswordChange { address: "sian.obrien@nhs.net".into() }).unwrap();
    assert_eq!(import(&service, &ctx, ImportKind::Mailboxes, csv, false).unwrap(), 1);
    let mailbox = service.store().mailbox_by_address("rosewood-lodge.referrals@nhs.net").unwrap().unwrap();
    assert_eq!(mailbox.member_count, 3);
}

#[test]
fn unknown_columns_are_refused_with_the_expected_ones() {
    let (_dir, service, ctx) = with_providers();
    let err = import(&service, &ctx, ImportKind::Accounts, "first_name,surname,mobile,ods,email\n", false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"surname\"") && err.contains("first_name,last_name,mobile,ods,email"), "{err}");
}

#[test]
fn a_helpdesk_agent_may_not_import() {
    let (_dir, service, ctx) = with_providers();
    let add = AddOperator { username: "helpdesk1".into(), role: Role::Helpdesk };
    service.execute(&ctx, &add).unwrap();
    let agent = Ctx::new("helpdesk1", now() + Duration::hours(1));
    let err = import(&service, &agent, ImportKind::Accounts, ACCOUNTS, true).unwrap_err();
    assert!(matches!(err, ImportError::Service(ServiceError::Denied(_))), "{err}");
}

/// A small plan, for tests that build several demos.
const SMALL: Plan =
    Plan { organisations: 25, accounts: 150, mailboxes: 12, memberships: 80, tickets: 40, ticket_days: 21 };

/// The plan is timed around NAS hours, weekends, bank holidays and the
/// clock change, so build it at the awkward moments of the year.
#[test]
fn the_demo_builds_at_awkward_hours() {
    for at in ["2026-03-29T01:30:00Z", "2025-12-25T23:59:59Z", "2026-05-04T08:59:00Z"] {
        let at = DateTime::parse_from_rfc3339(at).unwrap().to_utc();
        let dir = tempfile::tempdir().unwrap();
        let service = Service::open(dir.path(), OpenMode::CreateIfMissing).unwrap();
        let ctx = Ctx::new("tester", at);
        service.execute(&ctx, &Init).unwrap();
        if let Err(e) = build_demo_plan(&service, &ctx, &SMALL, &mut |_, _, _| {}) {
            panic!("built for {at}: {e}");
        }
    }
}

/// The same at a hundred moments spread over two years; for release builds
/// (`cargo test --release -- --ignored`) after changing the planner.
#[test]
#[ignore]
fn the_demo_builds_at_any_hour_of_the_year() {
    let start = DateTime::parse_from_rfc3339("2024-03-30T23:17:41Z").unwrap().to_utc();
    for k in 0..100 {
        let at = start + Duration::minutes(k * 55_433 + 13);
        let dir = tempfile::tempdir().unwrap();
        let service = Service::open(dir.path(), OpenMode::CreateIfMissing).unwrap();
        let ctx = Ctx::new("tester", at);
        service.execute(&ctx, &Init).unwrap();
        if let Err(e) = build_demo_plan(&service, &ctx, &Scale::Demo.plan(), &mut |_, _, _| {}) {
            panic!("built for {at}: {e}");
        }
    }
}

#[test]
fn a_demo_database_never_gets_an_sms_gateway_because_its_mobiles_are_invented() {
    let demo = demo();
    let ctx = Ctx::new("tester", now());
    let err = demo
        .service
        .execute(&ctx, &SetSmsCommand { command: Some("cat > /dev/null".into()), time_limit: None })
        .unwrap_err()
        .to_string();
    assert!(err.contains("demo database"), "{err}");
}

/// `caredesk demo` killed part way: what it left refuses to open, says to
/// build it again, and the same command then builds it whole.
#[test]
fn a_demo_killed_part_way_is_refused_until_built_again() {
    use caredesk::store::{Store, StoreError};
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo");
    let demo = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_caredesk"));
        cmd.arg("--db").arg(&db).args(["--now", "2026-01-07T10:00:00Z", "demo"]);
        cmd.env_remove("CAREDESK_DB").env_remove("CAREDESK_SOCKET");
        cmd
    };
    // Killed while it runs: if a build finished before the kill, the next
    // one is killed sooner.
    let mut killed = false;
    for wait_ms in [1500, 700, 300, 120, 40] {
        let mut child = demo().stdout(std::process::Stdio::null()).spawn().expect("caredesk demo runs");
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            child.wait().unwrap();
            killed = true;
            break;
        }
        std::fs::remove_dir_all(&db).unwrap();
    }
    assert!(killed, "every demo build finished within 40 ms");
    match Store::open(&db, OpenMode::Existing) {
        Err(e @ StoreError::Unfinished { .. }) => assert!(e.to_string().contains("caredesk demo"), "{e}"),
        Err(e) => panic!("a killed build must say it is unfinished, not: {e}"),
        Ok(_) => panic!("a killed build opened as if whole"),
    }
    let rebuilt = demo().output().unwrap();
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    let store = Store::open(&db, OpenMode::Existing).expect("the rebuilt demo opens");
    assert!(store.last_number("account").unwrap() > 1000, "the whole demo, not what was left");
}
