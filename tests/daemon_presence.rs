//! Two consoles through one daemon: what one has open reaches the other,
//! and lapses within seconds once it stops saying so or goes.

#[path = "console/world.rs"]
mod world;

use std::sync::Arc;
use std::time::{Duration, Instant};

use caredesk::daemon::{Daemon, RemoteDesk};
use caredesk::desk::DeskExt;
use caredesk::desk::{Activity, Clock, Desk, DeskEvent, PRESENCE_EXPIRES, Presence, Seen, Subject};
use caredesk::domain::ticket::TicketRef;
use caredesk::service::ops::ShowShift;
use world::{NAS, SUP, World, in_hours};

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
