//! Who else has what open: this console's word to the daemon on what its
//! operator has open (repeated well within its expiry), and what the other
//! consoles said, as the daemon tells it.
//!
//! Presence is a courtesy between colleagues: a desk that cannot say it
//! (no daemon, a slow one) leaves the board empty and nothing else waits
//! on it. What the others name is sanitised by the daemon and again where
//! it is drawn.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::desk::{Activity, PRESENCE_EXPIRES, Presence, Seen, Subject};
use crate::domain::ticket::TicketRef;

/// How often this console says again what it has open: well within the
/// time the daemon keeps it.
pub const PRESENCE_REPEAT: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub struct PresenceBoard {
    /// What this console last said, and when.
    said: Option<(Presence, Instant)>,
    /// Per other console: its operator, what it has open, when heard.
    others: HashMap<u64, (String, Presence, Instant)>,
}

impl PresenceBoard {
    /// Whether `mine` should be said now: it changed, or is due again.
    pub fn due(&self, mine: &Presence, now: Instant) -> bool {
        match &self.said {
            Some((said, at)) => said != mine || now.duration_since(*at) >= PRESENCE_REPEAT,
            // Nothing open and nothing said: nothing to tell.
            None => mine.subject.is_some(),
        }
    }

    /// This console said `mine`, and the daemon answered with what every
    /// other console has open now.
    pub fn said(&mut self, mine: Presence, others: Vec<Seen>, now: Instant) {
        self.said = Some((mine, now));
        self.others.clear();
        for seen in others {
            self.heard(seen, now);
        }
    }

    /// News from the daemon about one other console.
    pub fn heard(&mut self, seen: Seen, now: Instant) {
        match seen.presence {
            Some(p) if p.subject.is_some() => {
                self.others.insert(seen.console, (seen.operator, p, now));
            }
            _ => {
                self.others.remove(&seen.console);
            }
        }
    }

    /// Forgets what was not repeated in time, in case the daemon's word
    /// that it lapsed did not arrive. Returns whether anything went.
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.others.len();
        self.others.retain(|_, (_, _, at)| now.duration_since(*at) < PRESENCE_EXPIRES * 2);
        self.others.len() != before
    }

    /// Who else has each record open, and what they are doing there, one
    /// entry per operator (the busiest of their consoles), by name.
    pub fn here(&self) -> HashMap<Subject, Here> {
        let mut out: HashMap<Subject, Here> = HashMap::new();
        for (operator, p, _) in self.others.values() {
            let Some(subject) = &p.subject else { continue };
            let here = out.entry(subject.clone()).or_default();
            match here.iter_mut().find(|(o, _)| o == operator) {
                Some((_, a)) if *a == Activity::Viewing => *a = p.activity,
                Some(_) => {}
                None => here.push((operator.clone(), p.activity)),
            }
        }
        for here in out.values_mut() {
            here.sort_by(|a, b| a.0.cmp(&b.0));
        }
        out
    }

    /// Who else has each ticket open, and what they are doing there.
    pub fn on_tickets(&self) -> HashMap<TicketRef, Here> {
        self.here()
            .into_iter()
            .filter_map(|(subject, here)| match subject {
                Subject::Ticket(r) => Some((r, here)),
                _ => None,
            })
            .collect()
    }

    /// Who else has each account (`accounts`) or each mailbox open, by address.
    pub fn on_addresses(&self, accounts: bool) -> HashMap<String, Here> {
        self.here()
            .into_iter()
            .filter_map(|(subject, here)| match subject {
                Subject::Account(a) if accounts => Some((a, here)),
                Subject::Mailbox(m) if !accounts => Some((m, here)),
                _ => None,
            })
            .collect()
    }
}

/// Who else is on one record, and what each is doing there.
pub type Here = Vec<(String, Activity)>;

/// "nas2 viewing, helpdesk1 replying"; `None` when nobody else is there.
pub fn in_words(here: Option<&Here>) -> Option<String> {
    let said: Vec<String> =
        here?.iter().map(|(who, what)| format!("{} {}", crate::console::text::clean(who), what.label())).collect();
    (!said.is_empty()).then(|| said.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(console: u64, operator: &str, reference: u64, activity: Activity) -> Seen {
        Seen {
            operator: operator.into(),
            console,
            presence: Some(Presence { subject: Some(Subject::Ticket(TicketRef(reference))), activity }),
        }
    }

    #[test]
    fn others_come_and_go_as_the_daemon_tells_and_lapse_if_it_falls_silent() {
        let t0 = Instant::now();
        let mut board = PresenceBoard::default();
        board.said(Presence::nothing(), vec![seen(1, "nas2", 5, Activity::Viewing)], t0);
        board.heard(seen(2, "helpdesk1", 5, Activity::Replying), t0);
        board.heard(seen(3, "nas2", 5, Activity::Noting), t0);
        let here = &board.on_tickets()[&TicketRef(5)];
        assert_eq!(
            here,
            &vec![("helpdesk1".to_owned(), Activity::Replying), ("nas2".to_owned(), Activity::Noting)],
            "one entry per operator, the busiest of their consoles"
        );
        board.heard(Seen { operator: "helpdesk1".into(), console: 2, presence: None }, t0);
        assert_eq!(board.on_tickets()[&TicketRef(5)].len(), 1);
        assert!(board.expire(t0 + PRESENCE_EXPIRES * 2));
        assert!(board.on_tickets().is_empty());
    }

    #[test]
    fn accounts_and_mailboxes_are_told_apart_from_tickets_and_from_each_other() {
        let t0 = Instant::now();
        let mut board = PresenceBoard::default();
        let on = |console, operator: &str, subject: Subject, activity| Seen {
            operator: operator.into(),
            console,
            presence: Some(Presence { subject: Some(subject), activity }),
        };
        board.heard(on(1, "nas2", Subject::Account("jo@nhs.net".into()), Activity::Viewing), t0);
        board.heard(on(2, "nas2", Subject::Account("jo@nhs.net".into()), Activity::Editing), t0);
        board.heard(on(3, "sup", Subject::Mailbox("jo@nhs.net".into()), Activity::Viewing), t0);
        board.heard(seen(4, "rita", 7, Activity::Viewing), t0);
        let accounts = board.on_addresses(true);
        assert_eq!(accounts["jo@nhs.net"], vec![("nas2".to_owned(), Activity::Editing)], "the busiest console");
        assert_eq!(board.on_addresses(false)["jo@nhs.net"], vec![("sup".to_owned(), Activity::Viewing)]);
        assert_eq!(board.on_tickets().len(), 1);
        assert_eq!(in_words(accounts.get("jo@nhs.net")).as_deref(), Some("nas2 making a change"));
        assert_eq!(in_words(None), None);
    }

    #[test]
    fn what_this_console_has_open_is_said_when_it_changes_and_again_before_it_lapses() {
        let t0 = Instant::now();
        let mut board = PresenceBoard::default();
        let open = Presence::viewing(Subject::Ticket(TicketRef(1)));
        assert!(!board.due(&Presence::nothing(), t0));
        assert!(board.due(&open, t0));
        board.said(open.clone(), Vec::new(), t0);
        assert!(!board.due(&open, t0 + Duration::from_millis(500)));
        assert!(board.due(&open, t0 + PRESENCE_REPEAT));
        assert!(PRESENCE_REPEAT * 2 <= PRESENCE_EXPIRES, "repeated before it lapses");
        assert!(board.due(&Presence::nothing(), t0), "closing is news");
    }
}
