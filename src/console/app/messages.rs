//! The status line's messages: the one shown now, until it goes stale or
//! the operator's next change succeeds, and the history `:messages` shows
//! in full, for a refusal longer than the line.
//!
//! Only what the console said is kept here, never what the operator typed,
//! so no password or code can reach the history.

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};

use crate::console::pane::Message;

/// Messages kept for `:messages`; the oldest go first.
pub const HISTORY: usize = 200;

/// How long a message stays on the status line.
pub const NOTICE_STALE: TimeDelta = TimeDelta::seconds(10);
/// How long a refusal stays, unless a later change succeeds first.
pub const ERROR_STALE: TimeDelta = TimeDelta::seconds(30);

#[derive(Debug, Default)]
pub struct Messages {
    /// What the status line shows, and since when.
    current: Option<(Message, DateTime<Utc>)>,
    /// Newest last: when each was said, and how many times in a row.
    history: VecDeque<(DateTime<Utc>, Message, u32)>,
}

impl Messages {
    pub fn say(&mut self, message: Message, now: DateTime<Utc>) {
        match self.history.back_mut() {
            Some((at, last, times)) if *last == message => {
                *at = now;
                *times = times.saturating_add(1);
            }
            _ => {
                if self.history.len() == HISTORY {
                    self.history.pop_front();
                }
                self.history.push_back((now, message.clone(), 1));
            }
        }
        self.current = Some((message, now));
    }

    pub fn current(&self) -> Option<&Message> {
        self.current.as_ref().map(|(m, _)| m)
    }

    /// Clears the status line's message once it is stale at `now`;
    /// returns whether it did, so the screen is drawn again.
    pub fn expire(&mut self, now: DateTime<Utc>) -> bool {
        let stale = self.current.as_ref().is_some_and(|(m, at)| {
            let keep = if m.error { ERROR_STALE } else { NOTICE_STALE };
            now - *at >= keep
        });
        if stale {
            self.current = None;
        }
        stale
    }

    /// A later change succeeded: what was said before it no longer holds.
    pub fn clear(&mut self) {
        self.current = None;
    }

    /// The history, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = (DateTime<Utc>, &Message, u32)> {
        self.history.iter().rev().map(|(at, m, n)| (*at, m, *n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn said(text: &str, error: bool) -> Message {
        Message { text: text.into(), error }
    }

    #[test]
    fn notices_and_refusals_go_stale_at_their_own_age() {
        let mut m = Messages::default();
        m.say(said("claimed", false), at(0));
        assert!(!m.expire(at(9)));
        assert!(m.expire(at(10)));
        assert_eq!(m.current(), None);
        m.say(said("refused", true), at(20));
        assert!(!m.expire(at(49)));
        assert!(m.expire(at(50)));
        assert_eq!(m.newest_first().map(|(_, m, _)| m.text.as_str()).collect::<Vec<_>>(), ["refused", "claimed"]);
    }

    #[test]
    fn the_history_is_capped_and_repeats_are_counted_not_kept_twice() {
        let mut m = Messages::default();
        for i in 0..HISTORY + 5 {
            m.say(said(&format!("n{i}"), false), at(0));
        }
        assert_eq!(m.newest_first().count(), HISTORY);
        assert_eq!(m.newest_first().last().unwrap().1.text, "n5");
        m.say(said("same", false), at(1));
        m.say(said("same", false), at(2));
        let (when, _, times) = m.newest_first().next().unwrap();
        assert_eq!((when, times), (at(2), 2));
    }
}
