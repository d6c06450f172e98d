//! Who has what open: each console's latest word on what it shows and
//! whether its operator is typing, kept in memory only, for
//! [`PRESENCE_EXPIRES`] unless repeated, and told to the other consoles.
//!
//! Nothing here is stored or audited: presence is a courtesy between
//! colleagues, gone when the daemon restarts. What a peer names (an
//! address) is bounded and sanitised before it is kept or passed on.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::desk::{PRESENCE_EXPIRES, Presence, Seen, Subject};

/// The longest address a console may name; an NHSmail address is far
/// shorter.
const MAX_NAMED: usize = 254;

#[derive(Default)]
pub(super) struct Board {
    /// Per connection: its operator, what it said and when that lapses.
    said: Mutex<HashMap<u64, (String, Presence, Instant)>>,
}

impl Board {
    /// Records what connection `conn` says; the news to tell the others,
    /// if it changed anything they see.
    pub(super) fn say(&self, conn: u64, operator: &str, what: Presence, now: Instant) -> Option<Seen> {
        let what = cleaned(what);
        let mut said = self.said.lock().unwrap_or_else(|p| p.into_inner());
        let changed = said.get(&conn).is_none_or(|(_, was, _)| *was != what);
        if what.subject.is_none() {
            return said.remove(&conn).map(|_| Seen { operator: operator.to_owned(), console: conn, presence: None });
        }
        said.insert(conn, (operator.to_owned(), what.clone(), now + PRESENCE_EXPIRES));
        changed.then(|| Seen { operator: operator.to_owned(), console: conn, presence: Some(what) })
    }

    /// What every other connection has open now.
    pub(super) fn others(&self, conn: u64, now: Instant) -> Vec<Seen> {
        let said = self.said.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<Seen> = said
            .iter()
            .filter(|(id, (_, _, until))| **id != conn && *until > now)
            .map(|(id, (op, p, _))| Seen { operator: op.clone(), console: *id, presence: Some(p.clone()) })
            .collect();
        out.sort_by_key(|s| s.console);
        out
    }

    /// Forgets a connection that ended; the news, if it had something open.
    pub(super) fn gone(&self, conn: u64) -> Option<Seen> {
        let mut said = self.said.lock().unwrap_or_else(|p| p.into_inner());
        said.remove(&conn).map(|(op, _, _)| Seen { operator: op, console: conn, presence: None })
    }

    /// Forgets what lapsed by `now`; the news for each.
    pub(super) fn expire(&self, now: Instant) -> Vec<Seen> {
        let mut said = self.said.lock().unwrap_or_else(|p| p.into_inner());
        let lapsed: Vec<u64> = said.iter().filter(|(_, (_, _, until))| *until <= now).map(|(id, _)| *id).collect();
        lapsed
            .into_iter()
            .filter_map(|id| said.remove(&id).map(|(op, _, _)| Seen { operator: op, console: id, presence: None }))
            .collect()
    }
}

fn cleaned(what: Presence) -> Presence {
    let named = |s: String| crate::text::excerpt(&s, MAX_NAMED);
    let subject = what.subject.map(|s| match s {
        Subject::Ticket(r) => Subject::Ticket(r),
        Subject::Account(a) => Subject::Account(named(a)),
        Subject::Mailbox(m) => Subject::Mailbox(named(m)),
    });
    Presence { subject, activity: what.activity }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::Activity;
    use crate::domain::ticket::TicketRef;
    use std::time::Duration;

    #[test]
    fn presence_is_news_once_then_lapses_unless_repeated() {
        let board = Board::default();
        let t0 = Instant::now();
        let viewing = Presence::viewing(Subject::Ticket(TicketRef(5)));
        assert!(board.say(1, "nas1", viewing.clone(), t0).is_some());
        assert!(board.say(1, "nas1", viewing.clone(), t0 + Duration::from_secs(2)).is_none(), "a repeat is no news");
        assert_eq!(board.others(2, t0).len(), 1);
        assert!(board.others(1, t0).is_empty(), "a console is not told of itself");
        let typing = Presence { activity: Activity::Replying, ..viewing };
        assert_eq!(board.say(1, "nas1", typing, t0).unwrap().presence.unwrap().activity, Activity::Replying);
        assert!(board.expire(t0 + Duration::from_secs(1)).is_empty());
        let lapsed = board.expire(t0 + PRESENCE_EXPIRES + Duration::from_millis(1));
        assert_eq!(lapsed, vec![Seen { operator: "nas1".into(), console: 1, presence: None }]);
        assert!(board.gone(1).is_none());
    }

    #[test]
    fn what_a_peer_names_is_sanitised_and_bounded() {
        let board = Board::default();
        let named = format!("evil\u{1b}[2J{}", "x".repeat(1000));
        let seen = board.say(1, "nas1", Presence::viewing(Subject::Account(named)), Instant::now()).unwrap();
        let Some(Presence { subject: Some(Subject::Account(kept)), .. }) = seen.presence else { panic!() };
        assert!(!kept.contains('\u{1b}') && kept.chars().count() <= MAX_NAMED, "{kept:?}");
    }
}
