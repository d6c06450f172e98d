//! Several operators against one daemon: the race for a claim, a stale
//! write, events reaching the other consoles, who may connect, and what
//! survives the daemon being killed.
//!
//! Most tests connect in-process ([`Daemon::connect`], which names the
//! operator instead of reading peer credentials) so that several operators
//! can be played by one test process. The refusals of an unknown user and of
//! another protocol go through a real socket and the peer-credential check,
//! and the crash test runs the real binary.

#[path = "console/world.rs"]
mod world;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant};

use caredesk::console::{App, KeyMap, Theme};
use caredesk::daemon::protocol::{Hello, PROTOCOL};
use caredesk::daemon::{Client, Connection, Daemon, Options, RemoteDesk};
use caredesk::desk::{Clock, Desk, DeskEvent, DeskExt};
use caredesk::domain::permission::Role;
use caredesk::domain::routing::{Category, Queue};
use caredesk::domain::ticket::TicketRef;
use caredesk::service::ops::*;
use caredesk::service::{QueueView, ServiceError, TicketFilter, Touched};
use world::{NAS, SUP, World, in_hours, message, screen};

const BIN: &str = env!("CARGO_BIN_EXE_caredesk");

fn reference(text: &str) -> TicketRef {
    text.parse().expect("a ticket reference")
}

/// A daemon on the world's service, acting at the world's Monday morning.
fn daemon(world: &World) -> Daemon {
    let daemon = Daemon::without_socket(world.service.clone()).with_clock(Clock::Fixed(in_hours()));
    daemon.start_relay().expect("the relay starts");
    daemon
}

fn desk(daemon: &Daemon, operator: &str) -> RemoteDesk {
    let client = daemon.connect(operator).unwrap_or_else(|e| panic!("{operator} could not connect: {e}"));
    RemoteDesk::new(Arc::new(client), Clock::Fixed(in_hours()))
}

fn rev_of(desk: &dyn Desk, r: TicketRef) -> u64 {
    desk.call(ReadTicketRows { refs: [r].to_vec() }).expect("the row")[0].rev
}

#[test]
fn a_started_daemon_reads_the_opening_lists_before_a_console_asks_and_sends_them_whole() {
    let world = World::new();
    let made: Vec<TicketRef> = (0..40)
        .map(|i| {
            let category = if i % 2 == 0 { Category::PasswordReset } else { Category::MailboxAccess };
            let new = world::ticket(category, "Ann Lee", Some(world::OAK), &format!("ticket {i}"));
            world.run(SUP, in_hours(), &new).record.reference
        })
        .collect();
    let opening: Vec<QueueView> = [Queue::Nas, Queue::Helpdesk, Queue::Resolver]
        .into_iter()
        .map(QueueView::Queue)
        .chain([QueueView::All])
        .collect();
    let open = TicketFilter::default();
    assert!(opening.iter().all(|v| !world.service.keeps_list(v, &open)), "nothing is kept before the daemon starts");
    let daemon = daemon(&world);
    let waited = Instant::now();
    while !opening.iter().all(|v| world.service.keeps_list(v, &open)) {
        assert!(waited.elapsed() < Duration::from_secs(20), "the daemon did not read the opening lists");
        std::thread::sleep(Duration::from_millis(10));
    }
    // What a console is sent whole, packed, is the list as the service holds it.
    let nina = desk(&daemon, NAS);
    let all =
        nina.call(FollowTicketSlots { view: QueueView::All, filter: open.clone(), since: None }).expect("a listing");
    let mut slots = Vec::new();
    all.apply(&mut slots);
    assert_eq!(slots, world.service.ticket_slots(SUP, &QueueView::All, &open).expect("the list"));
    assert!(made.iter().all(|r| slots.iter().any(|s| s.reference == *r)), "every ticket made is listed");
}

#[test]
fn in_a_claim_race_exactly_one_operator_wins_and_the_others_are_told_who() {
    let world = World::new();
    let names: Vec<String> = (1..=8).map(|i| format!("nas{i}")).collect();
    for name in &names {
        world.run(SUP, in_hours(), &AddOperator { username: name.clone(), role: Role::Nas });
    }
    let daemon = daemon(&world);
    let target = reference("CD-000001");
    let desks: Vec<RemoteDesk> = names.iter().map(|n| desk(&daemon, n)).collect();
    // Everyone is looking at the same revision when they press claim.
    let seen = rev_of(&desks[0], target);
    let start = Arc::new(Barrier::new(desks.len()));
    let results: Vec<(String, Result<String, ServiceError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = desks
            .iter()
            .map(|d| {
                let start = Arc::clone(&start);
                s.spawn(move || {
                    start.wait();
                    let result = d.call_based_on(Claim { reference: target }, Some(seen));
                    (d.operator().to_owned(), result.map(|o| o.summary))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a claimer")).collect()
    });
    let winners: Vec<&String> = results.iter().filter(|(_, r)| r.is_ok()).map(|(n, _)| n).collect();
    assert_eq!(winners.len(), 1, "winners: {winners:?}; results: {results:?}");
    let winner = winners[0];
    for (name, result) in &results {
        if let Err(e) = result {
            let said = e.to_string();
            assert!(said.contains(winner.as_str()), "{name} was told {said:?}, which does not name {winner}");
        }
    }
    let ticket = desks[0].call(ShowTicket { reference: target }).expect("the ticket");
    assert_eq!(ticket.assignee.as_deref(), Some(winner.as_str()));
    let claims = world
        .service
        .store()
        .audit_newest(None, 50)
        .expect("the audit log")
        .into_iter()
        .filter(|e| e.draft.action == "ticket.claim" && e.draft.subject.contains("CD-000001"))
        .count();
    assert_eq!(claims, 1, "one claim is audited");
}

#[test]
fn a_write_based_on_a_stale_revision_is_refused_and_names_who_changed_it() {
    let world = World::new();
    let daemon = daemon(&world);
    let (nina, sup) = (desk(&daemon, NAS), desk(&daemon, SUP));
    let target = reference("CD-000002");
    let seen = rev_of(&nina, target);
    sup.call_based_on(Note { reference: target, text: "Spoke to the manager".into() }, Some(seen))
        .expect("sup's note, based on the current revision");
    let stale = nina.call_based_on(Note { reference: target, text: "Calling back".into() }, Some(seen));
    let error = stale.expect_err("a note based on the old revision");
    assert_eq!(error.conflict(), Some(("ticket", "CD-000002", SUP)), "{error}");
    let timeline = format!("{:?}", nina.call(ShowTicket { reference: target }).expect("the ticket").timeline);
    assert!(timeline.contains("Spoke to the manager"));
    assert!(!timeline.contains("Calling back"), "the stale note was written");
    // Based on what is there now, it goes through.
    let now = rev_of(&nina, target);
    nina.call_based_on(Note { reference: target, text: "Calling back".into() }, Some(now)).expect("a fresh note");
}

#[test]
fn a_change_reaches_the_other_operators_as_an_event_and_not_the_one_who_made_it() {
    let world = World::new();
    let daemon = daemon(&world);
    let (nina, sup) = (desk(&daemon, NAS), desk(&daemon, SUP));
    let target = reference("CD-000001");
    let claimed_at = Instant::now();
    nina.call(Claim { reference: target }).expect("the claim");
    let event = loop {
        let events = sup.events();
        if let Some(DeskEvent::Changed(change)) = events.into_iter().next() {
            break change;
        }
        assert!(claimed_at.elapsed() < Duration::from_secs(1), "no event within a second");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(event.operator, NAS);
    assert_eq!(event.action, "ticket.claim");
    assert_eq!(event.touched, vec![Touched::Ticket(target)]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(nina.events(), Vec::new(), "the operator who made the change is not told of it again");
}

#[test]
fn another_console_shows_the_claim_without_a_key_and_keeps_its_row() {
    let world = World::new();
    let daemon = daemon(&world);
    let mut watching = App::new(Box::new(desk(&daemon, SUP)), KeyMap::default(), Theme::plain()).expect("a console");
    let nina = desk(&daemon, NAS);
    // The supervisor's console opens on all open tickets; they move down to
    // the leaver.
    while watching.queue().selected() != Some(reference("CD-000002")) {
        let was = watching.queue().selected();
        watching.press("j");
        assert_ne!(watching.queue().selected(), was, "CD-000002 is not in the list");
    }
    let before = screen(&mut watching, 160, 48);
    assert!(!row(&before, "CD-000002").contains(NAS), "{before}");
    nina.call(Claim { reference: reference("CD-000002") }).expect("nina's claim");
    // A new ticket due earlier lands above the selected one.
    world.run(SUP, in_hours(), &world::ticket(Category::Unlock, "Pat Lee", Some(world::OAK), "Locked out"));
    let start = Instant::now();
    while !watching.take_events() {
        assert!(start.elapsed() < Duration::from_secs(1), "nothing arrived within a second");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let the second change arrive too.
    std::thread::sleep(Duration::from_millis(100));
    watching.take_events();
    let after = screen(&mut watching, 160, 48);
    assert!(row(&after, "CD-000002").contains(NAS), "the claim is not shown:\n{after}");
    assert_eq!(watching.queue().selected(), Some(reference("CD-000002")), "the selection moved");
    assert!(message(&watching).contains("nina claimed CD-000002"), "{}", message(&watching));
    // The list matches what a full reload would show.
    let fresh = desk(&daemon, SUP)
        .call(ListTicketSlots { view: QueueView::All.clone(), filter: TicketFilter::default().clone() })
        .expect("slots");
    assert_eq!(watching.queue().len(), fresh.len());
}

fn row<'a>(screen: &'a str, reference: &str) -> &'a str {
    screen.lines().find(|l| l.contains(reference)).unwrap_or_default()
}

// ---- Through a real socket ----

/// Everything the daemon logs in this test process.
fn log() -> &'static Mutex<Vec<u8>> {
    static LOG: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        struct Sink(&'static Mutex<Vec<u8>>);
        impl Write for Sink {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let _ = tracing_subscriber::fmt().with_ansi(false).with_writer(move || Sink(buffer)).try_init();
        buffer
    })
}

fn logged() -> String {
    String::from_utf8_lossy(&log().lock().unwrap()).into_owned()
}

fn os_user() -> String {
    caredesk::cli::os_user().expect("the test's own user")
}

/// A daemon serving `world` on a socket in its directory, in a thread.
fn serve(world: &World) -> (PathBuf, caredesk::daemon::StopHandle, std::thread::JoinHandle<()>) {
    log();
    let socket = world.dir.path().join("db.run").join("caredesk.sock");
    let options = Options { socket: socket.clone(), group: None, sweep: None };
    let daemon = Daemon::bind(world.service.clone(), &options).expect("the daemon binds");
    let stop = daemon.stop_handle();
    let running = std::thread::spawn(move || daemon.run().expect("the daemon runs and stops"));
    (socket, stop, running)
}

/// A raw connection to `socket`, past the daemon's welcome.
fn welcomed(socket: &Path) -> std::os::unix::net::UnixStream {
    let mut stream = std::os::unix::net::UnixStream::connect(socket).expect("a connection");
    let welcome = Client::handshake(&mut stream, PROTOCOL).expect("the welcome");
    assert!(welcome.verdict.is_ok(), "{welcome:?}");
    stream
}

#[test]
fn a_user_who_is_not_an_operator_is_refused_and_the_refusal_is_logged() {
    let world = World::new();
    let me = os_user();
    assert!(world.service.operator(&me).is_err(), "the world must not know {me}");
    let (socket, stop, running) = serve(&world);
    let refused = match Client::connect(&socket) {
        Ok(Connection::Served(c)) => panic!("{} was served", c.operator()),
        Ok(Connection::NoDaemon) => panic!("the daemon did not answer"),
        Err(e) => e.to_string(),
    };
    assert!(refused.contains(&format!("{me:?} is not a caredesk operator")), "{refused}");
    assert!(refused.contains("caredesk operator add"), "the refusal says what to do: {refused}");
    let deadline = Instant::now() + Duration::from_secs(2);
    while !logged().contains(&format!("connection refused: the operating-system user {me:?}")) {
        assert!(Instant::now() < deadline, "the refusal was not logged:\n{}", logged());
        std::thread::sleep(Duration::from_millis(10));
    }
    // Made an operator and then disabled, they are still refused.
    world.run(SUP, in_hours(), &AddOperator { username: me.clone(), role: Role::Helpdesk });
    assert!(matches!(Client::connect(&socket), Ok(Connection::Served(_))));
    world.run(SUP, in_hours(), &SetOperatorEnabled { username: me.clone(), enabled: false });
    let refused = Client::connect(&socket).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("is disabled"), "{refused:?}");
    stop.stop();
    running.join().expect("the daemon thread");
    assert!(!socket.exists(), "the socket is removed on a clean stop");
}

#[test]
fn a_client_of_another_protocol_is_refused_with_what_to_do() {
    let world = World::new();
    world.run(SUP, in_hours(), &AddOperator { username: os_user(), role: Role::Helpdesk });
    let (socket, stop, running) = serve(&world);
    let mut stream = std::os::unix::net::UnixStream::connect(&socket).expect("a connection");
    let welcome = Client::handshake(&mut stream, PROTOCOL + 1).expect("the daemon answers");
    assert_eq!(welcome.protocol, PROTOCOL, "the daemon says which protocol it speaks");
    let refusal = welcome.verdict.expect_err("another protocol is refused");
    let ours = Hello::ours();
    assert!(refusal.contains(&format!("protocol {}", PROTOCOL + 1)), "{refusal}");
    assert!(refusal.contains(&format!("{}, protocol {PROTOCOL}", ours.release)), "{refusal}");
    assert!(refusal.contains("use the caredesk installed with the daemon"), "{refusal}");
    // The daemon goes on serving clients that match.
    assert!(matches!(Client::connect(&socket), Ok(Connection::Served(_))));
    stop.stop();
    running.join().expect("the daemon thread");
}

// ---- The real binary, killed ----

struct Served {
    child: Child,
    socket: PathBuf,
}

impl Served {
    fn start(db: &Path) -> Served {
        let socket = caredesk::daemon::default_socket(db);
        let child = Process::new(BIN)
            .arg("--db")
            .arg(db)
            .args(["serve", "--sweep-every", "0"])
            .stderr(Stdio::null())
            .spawn()
            .expect("caredesk serve starts");
        let served = Served { child, socket };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !matches!(Client::connect(&served.socket), Ok(Connection::Served(_))) {
            assert!(Instant::now() < deadline, "the daemon did not answer within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        served
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_daemon_killed_mid_write_keeps_every_write_it_acknowledged() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("db");
    let init = Process::new(BIN).arg("--db").arg(&db).arg("init").output().expect("caredesk init");
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let mut daemon = Served::start(&db);
    let acknowledged = Arc::new(Mutex::new(Vec::<TicketRef>::new()));
    let refused = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let socket = daemon.socket.clone();
            let acknowledged = Arc::clone(&acknowledged);
            let refused = Arc::clone(&refused);
            std::thread::spawn(move || {
                let Ok(Connection::Served(client)) = Client::connect(&socket) else { return };
                let desk = RemoteDesk::new(Arc::new(client), Clock::System);
                for i in 0.. {
                    let mut new = world::ticket(Category::PasswordReset, "Pat Lee", None, &format!("w{w} #{i}"));
                    new.incomplete = true;
                    match desk.call(new) {
                        Ok(done) => acknowledged.lock().unwrap().push(done.record.reference),
                        // The daemon is gone, or something is wrong.
                        Err(e) => return refused.lock().unwrap().push(e.to_string()),
                    }
                }
            })
        })
        .collect();
    // Let the writers get going, then kill the daemon under them.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 200 {
        assert!(Instant::now() < deadline, "the writers made no progress: {:?}", refused.lock().unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    daemon.child.kill().expect("SIGKILL");
    daemon.child.wait().expect("the daemon ends");
    for w in writers {
        w.join().expect("a writer");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    // A restarted daemon finds every acknowledged ticket.
    let daemon = Served::start(&db);
    let Ok(Connection::Served(client)) = Client::connect(&daemon.socket) else { panic!("no daemon after restart") };
    let desk = RemoteDesk::new(Arc::new(client), Clock::System);
    let found = desk.call(ReadTicketRows { refs: acknowledged.to_vec() }).expect("the rows");
    assert_eq!(found.len(), acknowledged.len(), "acknowledged tickets were lost");
    let verified = desk.call(VerifyAudit { anchor: None }).expect("the audit chain is intact");
    assert!(format!("{verified:?}").contains("AuditVerified"), "{verified:?}");
    // SIGTERM stops it cleanly: exit 0 and no socket left behind.
    let mut daemon = daemon;
    drop(desk);
    let term = Process::new("kill").args(["-TERM", &daemon.child.id().to_string()]).status().expect("kill");
    assert!(term.success(), "SIGTERM could not be sent");
    let status = daemon.child.wait().expect("the daemon ends");
    assert!(status.success(), "the daemon ended with {status}");
    assert!(!daemon.socket.exists(), "the socket was left behind");
}

#[test]
fn without_a_daemon_a_locked_database_says_to_run_one() {
    let world = World::new();
    let out =
        Process::new(BIN).arg("--db").arg(world.dir.path().join("db")).arg("status").output().expect("caredesk status");
    assert_eq!(out.status.code(), Some(3));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no `caredesk serve` answers for it"), "{said}");
    assert!(said.contains("caredesk serve --db"), "{said}");
}

#[test]
fn stale_changes_to_accounts_and_mailboxes_are_refused_too() {
    let world = World::new();
    let daemon = daemon(&world);
    let (nina, sup) = (desk(&daemon, NAS), desk(&daemon, SUP));
    let pat = "pat.lee@nhs.net";
    let seen = nina.call(ShowAccount { address: pat.to_owned() }).expect("pat").account.meta.rev;
    sup.call_based_on(SetMobileHidden { address: pat.into(), hidden: true, ticket: None }, Some(seen))
        .expect("sup hides the mobile");
    let stale = nina.call_based_on(SetMobileHidden { address: pat.into(), hidden: false, ticket: None }, Some(seen));
    let error = stale.expect_err("a change based on the old account");
    assert_eq!(error.conflict(), Some(("account", pat, SUP)), "{error}");
    assert!(
        nina.call(ShowAccount { address: pat.to_owned() }).expect("pat").account.mobile_hidden,
        "the stale change was written"
    );

    let seen = nina.call(ShowMailbox { address: world::TEAM.to_owned() }).expect("the team mailbox").mailbox.meta.rev;
    sup.call_based_on(AddMember { mailbox: world::TEAM.into(), account: pat.into(), reason: None }, Some(seen))
        .expect("sup adds Pat");
    let stale = nina
        .call_based_on(RemoveMember { mailbox: world::TEAM.into(), account: "ann.jones@nhs.net".into() }, Some(seen));
    let error = stale.expect_err("a change based on the old mailbox");
    assert_eq!(error.conflict(), Some(("shared mailbox", world::TEAM, SUP)), "{error}");
    let members = nina.call(ShowMailbox { address: world::TEAM.to_owned() }).expect("the team mailbox").members;
    assert!(members.iter().any(|m| m.address.as_str() == "ann.jones@nhs.net"), "the stale removal was written");
}

/// Waits up to a second for the console to take in an event.
fn take_within_a_second(app: &mut App) {
    let start = Instant::now();
    while !app.take_events() {
        assert!(start.elapsed() < Duration::from_secs(1), "nothing arrived within a second");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_account_and_mailbox_shown_follow_other_operators_changes() {
    let world = World::new();
    let daemon = daemon(&world);
    let mut watching = App::new(Box::new(desk(&daemon, SUP)), KeyMap::default(), Theme::plain()).expect("a console");
    let nina = desk(&daemon, NAS);
    watching.press("2/pat lee<enter>");
    assert_eq!(watching.accounts().selected_address(), Some("pat.lee@nhs.net"));
    nina.call(AddMember { mailbox: world::TEAM.into(), account: "pat.lee@nhs.net".into(), reason: None })
        .expect("nina adds Pat to the team mailbox");
    take_within_a_second(&mut watching);
    let shown = screen(&mut watching, 160, 48);
    assert!(shown.contains(world::TEAM), "Pat's new mailbox is not shown:\n{shown}");

    watching.press(&format!("3/{}<enter><enter>", world::TEAM));
    let before = watching.mailboxes().shown().expect("the mailbox").members.len();
    nina.call(RemoveMember { mailbox: world::TEAM.into(), account: "sam.smith@nhs.net".into() })
        .expect("nina removes Sam");
    take_within_a_second(&mut watching);
    let after = watching.mailboxes().shown().expect("the mailbox").members.len();
    assert_eq!(after, before - 1, "the removal is not shown");
    let said = message(&watching);
    assert!(said.contains("nina removed a member from oaklodge.team@nhs.net"), "{said}");
}

#[test]
fn the_daemon_runs_the_lifecycle_sweep_on_its_schedule() {
    let world = World::new();
    let socket = world.dir.path().join("db.run").join("caredesk.sock");
    let options = Options {
        socket,
        group: None,
        sweep: Some(caredesk::daemon::Schedule { every: Duration::from_secs(3600), operator: SUP.into() }),
    };
    // Half a year on, nobody in the world has logged in: all are inactive.
    let later = world::utc("2027-06-01T10:00:00Z");
    let daemon = Daemon::bind(world.service.clone(), &options).expect("the daemon").with_clock(Clock::Fixed(later));
    let stop = daemon.stop_handle();
    let running = std::thread::spawn(move || daemon.run().expect("the daemon runs"));
    let deadline = Instant::now() + Duration::from_secs(5);
    let swept = loop {
        let audit = world.service.store().audit_newest(None, 100).expect("the audit log");
        let swept: Vec<_> = audit.into_iter().filter(|e| e.draft.action.starts_with("lifecycle.")).collect();
        if !swept.is_empty() {
            break swept;
        }
        assert!(Instant::now() < deadline, "no scheduled sweep within 5 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(swept.iter().all(|e| e.draft.operator == SUP), "the sweep runs as the scheduled operator");
    stop.stop();
    running.join().expect("the daemon thread");
}

#[test]
fn the_demo_is_not_rebuilt_under_a_daemon_serving_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("demo");
    let built = Process::new(BIN).arg("--db").arg(&db).arg("demo").output().expect("caredesk demo");
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let _daemon = Served::start(&db);
    let again = Process::new(BIN).arg("--db").arg(&db).arg("demo").output().expect("caredesk demo");
    assert_eq!(again.status.code(), Some(1));
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("a caredesk daemon serves"), "{said}");
    assert!(db.join("conf").exists(), "the served demo was removed");
}

#[test]
fn a_stopping_daemon_tells_its_consoles_why() {
    let world = World::new();
    world.run(SUP, in_hours(), &AddOperator { username: os_user(), role: Role::Helpdesk });
    let (socket, stop, running) = serve(&world);
    let Ok(Connection::Served(client)) = Client::connect(&socket) else { panic!("not served") };
    stop.stop();
    let said = match client.next_event(Duration::from_secs(5)) {
        Some(DeskEvent::Lost(why)) => why,
        other => panic!("the console was not told: {other:?}"),
    };
    assert!(said.contains("daemon is stopping") && said.contains("reconnects"), "{said}");
    running.join().expect("the daemon thread");
    let after = RemoteDesk::new(Arc::new(client), Clock::System).call(ShowShift {});
    let error = after.expect_err("a request after the stop");
    assert!(error.is_unavailable(), "{error}");
}

#[test]
fn a_request_in_progress_as_the_daemon_stops_is_answered_before_the_farewell() {
    use caredesk::daemon::protocol::{self, Body, Envelope, Reply, ServerMessage};
    use caredesk::domain::validate::OdsCode;
    let world = World::new();
    world.run(SUP, in_hours(), &AddOperator { username: os_user(), role: Role::Supervisor });
    let (socket, stop, running) = serve(&world);
    let mut stream = welcomed(&socket);
    // An import of several batches: the stop comes once the first has
    // landed, with the rest still to write.
    let lines = 3 * caredesk::store::BATCH_RECORDS;
    let mut csv = String::from("ods,name,ig_status\n");
    for i in 0..lines {
        csv.push_str(&format!("W{i:05},Care home {i},yes\n"));
    }
    let import = Envelope { id: 7, at: None, body: Body::Import { kind: "orgs".into(), csv, skip_bad: false } };
    protocol::write_frame(&mut stream, &protocol::encode(&import).expect("encodes")).expect("sent");
    let first = OdsCode::parse("W00000").expect("a code");
    let deadline = Instant::now() + Duration::from_secs(60);
    while world.service.store().organisation(&first).expect("reads").is_none() {
        assert!(Instant::now() < deadline, "the import never began");
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.stop();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut answered = None;
    loop {
        let frame = protocol::read_frame(&mut stream).expect("a frame").expect("the connection stays open");
        match protocol::decode::<ServerMessage>(&frame).expect("readable") {
            ServerMessage::Answer { id, result } => answered = Some((id, result)),
            ServerMessage::Closing(_) => break,
            _ => {}
        }
    }
    match answered {
        Some((7, Ok(Reply::Imported(report)))) => assert_eq!(report.imported, lines as u64),
        other => panic!("the import's answer did not come before the farewell: {other:?}"),
    }
    running.join().expect("the daemon thread");
}

#[test]
fn a_console_reconnects_when_the_daemon_comes_back() {
    let world = World::new();
    world.run(SUP, in_hours(), &AddOperator { username: os_user(), role: Role::Helpdesk });
    let (socket, stop, running) = serve(&world);
    let Ok(Connection::Served(client)) = Client::connect(&socket) else { panic!("not served") };
    let desk = RemoteDesk::new(Arc::new(client), Clock::System).reconnecting(socket.clone());
    desk.call(ShowShift {}).expect("served");
    stop.stop();
    running.join().expect("the daemon thread");
    assert!(desk.call(ShowShift {}).is_err(), "nothing answers while the daemon is down");
    let (_, stop, running) = serve(&world);
    let started = Instant::now();
    let news = loop {
        if let Some(DeskEvent::Restored(news)) = desk.events().into_iter().find(|e| matches!(e, DeskEvent::Restored(_)))
        {
            break news;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no reconnection within 5 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(news.contains("daemon is back"), "{news}");
    desk.call(ShowShift {}).expect("served again");
    stop.stop();
    running.join().expect("the daemon thread");
}

#[test]
fn a_daemon_that_stops_answering_is_reported_not_waited_on_forever() {
    use caredesk::daemon::protocol::{self, RELEASE, Welcome};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let socket = dir.path().join("hung.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).expect("a socket");
    // A daemon that welcomes the operator, then reads requests and never answers.
    let hung = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("a client");
        protocol::read_frame(&mut stream).expect("a hello");
        let welcome = Welcome { protocol: PROTOCOL, release: RELEASE.to_owned(), verdict: Ok("nina".into()) };
        protocol::write_frame(&mut stream, &welcome.to_bytes()).expect("the welcome");
        while let Ok(Some(_)) = protocol::read_frame(&mut stream) {}
    });
    let Ok(Connection::Served(client)) = Client::connect(&socket) else { panic!("not served") };
    let started = Instant::now();
    let body = caredesk::daemon::protocol::Body::Run { request: Box::new(ShowShift {}.into()), based_on: None };
    let error = client.request_within(body, None, Some(Duration::from_millis(300))).expect_err("no answer");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(error.is_unavailable(), "{error}");
    assert!(error.to_string().contains("not known whether the change was saved"), "{error}");
    client.close();
    hung.join().expect("the hung daemon");
}

#[test]
fn a_client_that_stops_reading_is_told_to_reload_instead_of_holding_anyone_up() {
    use caredesk::daemon::protocol::{self, ServerMessage};
    let world = World::new();
    world.run(SUP, in_hours(), &AddOperator { username: os_user(), role: Role::Helpdesk });
    let (socket, stop, running) = serve(&world);
    // A client that says hello and then reads nothing while the desk is busy.
    let mut stalled = welcomed(&socket);
    let Ok(Connection::Served(reader)) = Client::connect(&socket) else { panic!("not served") };
    let reading = RemoteDesk::new(Arc::new(reader), Clock::System);
    // Far more changes than its queue and the socket's buffers hold; the
    // writes do not wait for the stalled client.
    let started = Instant::now();
    world
        .service
        .store()
        .bulk(|| {
            for _ in 0..6000 {
                world.service.execute(
                    &caredesk::service::Ctx::new(SUP, in_hours()),
                    &RecordLogin { address: "pat.lee@nhs.net".into() },
                )?;
            }
            Ok::<_, ServiceError>(())
        })
        .expect("the writes");
    assert!(started.elapsed() < Duration::from_secs(60), "the writes were held up");
    // A client that keeps reading is served as usual.
    reading.call(ShowShift {}).expect("the daemon still answers");
    // The stalled client, reading at last, finds it was told to reload.
    stalled.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut lagged = false;
    while let Ok(Some(frame)) = protocol::read_frame(&mut stalled) {
        if matches!(protocol::decode::<ServerMessage>(&frame), Ok(ServerMessage::Lagged)) {
            lagged = true;
            break;
        }
    }
    assert!(lagged, "the stalled client was never told it missed events");
    drop(stalled);
    stop.stop();
    running.join().expect("the daemon thread");
}

#[test]
fn an_operator_whose_role_changes_sees_it_at_once() {
    let world = World::new();
    let daemon = daemon(&world);
    let mut nina = App::new(Box::new(desk(&daemon, NAS)), KeyMap::default(), Theme::plain()).expect("a console");
    assert_eq!(nina.shift().role, Role::Nas);
    desk(&daemon, SUP)
        .call(SetOperatorRole { username: NAS.into(), role: Role::Helpdesk })
        .expect("the supervisor changes nina's role");
    take_within_a_second(&mut nina);
    assert_eq!(nina.shift().role, Role::Helpdesk, "the console still shows the old role");
    assert!(screen(&mut nina, 160, 48).contains("nina (helpdesk agent)"));
}

#[test]
fn the_mail_settings_outbox_and_originals_are_read_through_a_running_daemon() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("db");
    let run = |args: &[&str]| {
        let out = Process::new(BIN).arg("--db").arg(&db).args(args).env_remove("CAREDESK_DB").output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    assert!(run(&["init"]).0);
    let eml = dir.path().join("request.eml");
    std::fs::write(
        &eml,
        "From: Jo Bloggs <jo@example.org>\r\nTo: careadmin@nhs.net\r\nSubject: Locked out\r\n\
         Message-ID: <through-daemon@example.org>\r\n\r\nPlease help.\r\n",
    )
    .unwrap();
    let (imported, said) = run(&["mail", "import", eml.to_str().unwrap()]);
    assert!(imported, "{said}");
    let _daemon = Served::start(&db);
    let (ok, settings) = run(&["mail", "settings"]);
    assert!(ok && settings.contains("careadmin@nhs.net"), "{settings}");
    let (ok, changed) = run(&["mail", "settings", "--auto-replies-per-hour", "3"]);
    assert!(ok && changed.contains("restart the daemon"), "{changed}");
    let (ok, outbox) = run(&["mail", "outbox"]);
    assert!(ok && outbox.contains("CD-000001"), "the acknowledgement is in the outbox: {outbox}");
    let (ok, listed) = run(&["ticket", "mail", "CD-000001"]);
    assert!(ok && listed.contains("Locked out"), "{listed}");
    let (ok, original) = run(&["ticket", "original", "CD-000001"]);
    assert!(ok && original.contains("Message-ID: <through-daemon@example.org>"), "{original}");
}
