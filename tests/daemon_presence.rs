//! Two consoles through one daemon: what one has open reaches the other,
//! and lapses within seconds once it stops saying so or goes; and what
//! arrives meanwhile reaches what a console has open.

#[path = "console/world.rs"]
mod world;

use std::sync::Arc;
use std::time::{Duration, Instant};

use caredesk::daemon::{Daemon, RemoteDesk};
use caredesk::desk::DeskExt;
use caredesk::desk::{Activity, Clock, Desk, DeskEvent, PRESENCE_EXPIRES, Presence, Seen, Subject};
use caredesk::domain::ticket::TicketRef;
use caredesk::service::ops::ShowShift;
use world::{NAS, SUP, TEAM, World, in_hours};

/// A console of `operator` that the daemon serves: one answered request
/// shows its connection is taken in, so it hears what others say next.
fn desk(daemon: &Daemon, operator: &str) -> RemoteDesk {
    let client = daemon.connect(operator).unwrap_or_else(|e| panic!("{operator} could not connect: {e}"));
    let desk = RemoteDesk::new(Arc::new(client), Clock::Fixed(in_hours()));
    desk.call(ShowShift {}).unwrap_or_else(|e| panic!("{operator} is not served: {e}"));
    desk
}

/// Presence news `desk` has heard, waiting up to `within` for one that
/// `wanted` accepts.
fn hears(desk: &RemoteDesk, within: Duration, wanted: impl Fn(&Seen) -> bool) -> Option<Seen> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        for event in desk.events() {
            if let DeskEvent::Presence(seen) = event {
                if wanted(&seen) {
                    return Some(seen);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn presence_reaches_the_other_console_and_lapses_when_it_is_not_repeated() {
    let world = World::new();
    let daemon = Daemon::without_socket(world.service.clone()).with_clock(Clock::Fixed(in_hours()));
    daemon.start_relay().expect("the relay starts");
    let (nina, sup) = (desk(&daemon, NAS), desk(&daemon, SUP));
    let ticket = Subject::Ticket(TicketRef(3));

    let others = nina.present(Presence::viewing(ticket.clone())).expect("nina says what she has open");
    assert!(others.is_empty(), "nobody else has anything open yet: {others:?}");
    let seen = hears(&sup, Duration::from_secs(5), |s| s.operator == NAS).expect("sup hears nina is viewing");
    assert_eq!(seen.presence, Some(Presence::viewing(ticket.clone())));

    // The other console asks and is told, and typing is news too.
    let now = sup.present(Presence::viewing(ticket.clone())).expect("sup opens it too");
    assert_eq!(now.len(), 1);
    assert_eq!(
        (now[0].operator.as_str(), now[0].presence.as_ref().map(|p| p.activity)),
        (NAS, Some(Activity::Viewing))
    );
    nina.present(Presence { subject: Some(ticket.clone()), activity: Activity::Replying }).unwrap();
    let replying =
        hears(&sup, Duration::from_secs(5), |s| s.presence.as_ref().is_some_and(|p| p.activity == Activity::Replying));
    assert!(replying.is_some(), "sup hears nina is replying");
    assert!(
        hears(&nina, Duration::from_millis(300), |s| s.operator == NAS).is_none(),
        "a console is not told of itself"
    );

    // Nina stops saying it: it lapses, and sup is told.
    let started = Instant::now();
    let lapsed = hears(&sup, PRESENCE_EXPIRES * 3, |s| s.operator == NAS && s.presence.is_none());
    assert!(lapsed.is_some(), "nina's presence lapses");
    assert!(started.elapsed() >= PRESENCE_EXPIRES - Duration::from_secs(1), "not before it expires");
    assert!(sup.present(Presence::nothing()).unwrap().is_empty(), "nothing is left of nina's");
}

#[test]
fn presence_goes_at_once_when_a_console_closes() {
    let world = World::new();
    let daemon = Daemon::without_socket(world.service.clone()).with_clock(Clock::Fixed(in_hours()));
    daemon.start_relay().expect("the relay starts");
    let sup = desk(&daemon, SUP);
    {
        let nina = desk(&daemon, NAS);
        nina.present(Presence::viewing(Subject::Account("jo.smith@nhs.net".into()))).unwrap();
        assert!(hears(&sup, Duration::from_secs(5), |s| s.presence.is_some()).is_some());
    }
    let gone = hears(&sup, Duration::from_secs(3), |s| s.operator == NAS && s.presence.is_none());
    assert!(gone.is_some(), "closing the console takes its presence away before it would lapse");
}

/// Waits up to `within` for `app`, taking in what the daemon tells it,
/// to draw a screen that `wanted` accepts; the last screen drawn.
fn shows(app: &mut caredesk::console::App, within: Duration, wanted: impl Fn(&str) -> bool) -> Result<String, String> {
    let deadline = Instant::now() + within;
    let mut last = String::new();
    while Instant::now() < deadline {
        app.take_events();
        app.tick();
        last = world::screen(app, 200, 50);
        if wanted(&last) {
            return Ok(last);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(last)
}

#[test]
fn two_consoles_show_who_is_on_a_ticket_ask_before_a_crossing_reply_and_let_it_lapse() {
    use caredesk::console::{App, KeyMap, Theme};
    let world = World::new();
    let daemon = Daemon::without_socket(world.service.clone()).with_clock(Clock::Fixed(in_hours()));
    daemon.start_relay().expect("the relay starts");
    let console = |operator: &str| {
        App::new(Box::new(desk(&daemon, operator)), KeyMap::default(), Theme::plain()).expect("a console")
    };
    let (mut nina, mut sup) = (console(NAS), console(SUP));
    nina.press("<enter>");
    let reference = nina.queue().selected().expect("nina has a ticket open");
    let row_says =
        |text: &str, wanted: &str| text.lines().any(|l| l.contains(&reference.to_string()) && l.contains(wanted));
    shows(&mut sup, Duration::from_secs(5), |s| row_says(s, "[nina viewing]"))
        .unwrap_or_else(|s| panic!("sup's queue row shows nina viewing:\n{s}"));

    nina.press("r");
    assert!(nina.queue().has_form(), "nobody else is replying: the reply form opens");
    shows(&mut sup, Duration::from_secs(5), |s| row_says(s, "[nina replying]"))
        .unwrap_or_else(|s| panic!("sup's row shows nina replying:\n{s}"));

    sup.press(&format!(":ticket {reference}<enter>"));
    let view = world::screen(&mut sup, 160, 40);
    assert!(view.lines().any(|l| l.contains("here too") && l.contains("nina replying")), "{view}");
    sup.press("r");
    assert!(!sup.queue().has_form(), "sup is asked first");
    let said = sup.message().map(|m| m.text.clone()).unwrap_or_default();
    assert!(said.starts_with(&format!("nina is replying to {reference} already")), "{said}");
    sup.press("r");
    assert!(sup.queue().has_form(), "asked and answered: r again replies anyway");
    sup.press("<esc>");

    // Nina's console falls silent: her presence lapses within seconds.
    let started = Instant::now();
    shows(&mut sup, PRESENCE_EXPIRES * 3, |s| !s.contains("nina replying"))
        .unwrap_or_else(|s| panic!("nina's presence lapses:\n{s}"));
    assert!(started.elapsed() >= PRESENCE_EXPIRES / 2, "not at once: it lapses, it was not withdrawn");
    drop(nina);
}

/// The account and mailbox details name who else has them open, and that
/// a change is on its way while a form or question is open there; it
/// lapses like a ticket's once the other console goes.
#[test]
fn two_consoles_show_who_else_has_an_account_or_a_mailbox_open_and_who_is_changing_it() {
    use caredesk::console::{App, KeyMap, Theme};
    let world = World::new();
    let daemon = Daemon::without_socket(world.service.clone()).with_clock(Clock::Fixed(in_hours()));
    daemon.start_relay().expect("the relay starts");
    let console = |operator: &str| {
        App::new(Box::new(desk(&daemon, operator)), KeyMap::default(), Theme::plain()).expect("a console")
    };
    let (mut nina, mut sup) = (console(NAS), console(SUP));
    let here_line = |screen: &str, wanted: &str| screen.lines().any(|l| l.contains("Here too") && l.contains(wanted));

    // An account: open, then a task on it.
    nina.press("2/jo.bloggs@nhs.net<enter>");
    sup.press("2/jo.bloggs@nhs.net<enter>");
    nina.publish();
    shows(&mut sup, Duration::from_secs(5), |s| here_line(s, "nina viewing"))
        .unwrap_or_else(|s| panic!("sup's account details show nina viewing:\n{s}"));
    nina.press("x");
    assert!(nina.accounts().has_task(), "the leaver form is open");
    nina.publish();
    shows(&mut sup, Duration::from_secs(5), |s| here_line(s, "nina making a change"))
        .unwrap_or_else(|s| panic!("sup sees nina changing the account:\n{s}"));
    nina.press("<esc><esc>");

    // A mailbox: open, then a question on it.
    nina.press(&format!("3/{TEAM}<enter>"));
    sup.press(&format!("3/{TEAM}<enter>"));
    nina.publish();
    shows(&mut sup, Duration::from_secs(5), |s| here_line(s, "nina viewing"))
        .unwrap_or_else(|s| panic!("sup's mailbox details show nina viewing:\n{s}"));
    nina.press("o");
    nina.publish();
    shows(&mut sup, Duration::from_secs(5), |s| here_line(s, "nina making a change"))
        .unwrap_or_else(|s| panic!("sup sees nina changing the mailbox:\n{s}"));
    // And the other way: nina sees sup, never herself.
    sup.publish();
    let own = shows(&mut nina, Duration::from_secs(5), |s| here_line(s, "sup viewing"))
        .unwrap_or_else(|s| panic!("nina sees sup on the mailbox:\n{s}"));
    assert!(!own.lines().any(|l| l.contains("Here too") && l.contains("nina")), "not herself:\n{own}");

    // Nina's console goes: the line goes with it.
    drop(nina);
    shows(&mut sup, PRESENCE_EXPIRES * 3, |s| !s.contains("Here too"))
        .unwrap_or_else(|s| panic!("nina's presence goes:\n{s}"));
}

/// A request by mail to the NAS address, or a reply to `thread` on it.
fn mail(id: &str, thread: Option<TicketRef>) -> caredesk::service::ops::DeliverMail {
    let subject = thread.map_or("Password reset please".to_owned(), |r| format!("Re: [{r}] and another thing"));
    let raw = format!(
        "From: Priya Shah <priya.shah@sunrise-care.co.uk>\r\nTo: careadmin@nhs.net\r\nSubject: {subject}\r\n\
         Message-ID: <{id}@sunrise-care.co.uk>\r\nDate: Wed, 25 Nov 2026 10:14:00 +0000\r\n\r\n\
         Please reset the password for Sam Smith, ODS V1A2B.\r\n"
    );
    caredesk::service::ops::DeliverMail {
        channel: Some(caredesk::domain::routing::Channel::EmailNas),
        delivered_at: in_hours(),
        raw: caredesk::service::RawMail(raw.into_bytes()),
    }
}

#[test]
fn a_reply_threaded_on_while_a_console_reads_the_mail_is_listed_and_announced() {
    use caredesk::console::{App, KeyMap, Theme};
    let world = World::new();
    let reference = world.run(SUP, in_hours(), &mail("c1", None)).ticket;
    let daemon = Daemon::without_socket(world.service.clone()).with_clock(Clock::Fixed(in_hours()));
    daemon.start_relay().expect("the relay starts");
    let mut nina = App::new(Box::new(desk(&daemon, NAS)), KeyMap::default(), Theme::plain()).expect("a console");
    nina.press(&format!(":ticket {reference}<enter>m"));
    assert!(world::screen(&mut nina, 200, 50).contains("message 1 of 1"));
    // The requester answers while nina reads the first message.
    let other = desk(&daemon, SUP);
    assert_eq!(other.call(mail("c2", Some(reference))).expect("the reply is taken in").ticket, reference);
    let shown = shows(&mut nina, Duration::from_secs(5), |s| s.contains("message 1 of 2"))
        .unwrap_or_else(|s| panic!("nina's mail view lists the reply, still on the first message:\n{s}"));
    assert!(shown.contains("a new message arrived"), "{shown}");
    nina.press("]");
    assert!(world::screen(&mut nina, 200, 50).contains("Message-ID: <c2@sunrise-care.co.uk>"));
}
