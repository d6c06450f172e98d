//! What a shift's tools keep: the audit entries of each batch, the queue
//! depth counters, text modules, saved views and the SLA setting.
//!
//! Counters ("tallies") answer the dashboard without reading tickets: a
//! record names the counters it stands in (an open ticket, its queue's
//! depth), and each write adds the difference to that counter's bucket for
//! the hour it is made, in the same transaction. The depth at the end of an
//! earlier hour is then the depth now less the moves since, read from at
//! most a week of hourly buckets per queue, whatever the number of tickets.

use chrono::{DateTime, Utc};

use super::keys::{Key, read_u64, trailing_u64};
use super::records::{Record, TreeId};
use super::{Store, StoreError};
use crate::domain::audit::AuditEntry;
use crate::domain::routing::Queue;
use crate::domain::saved_view::SavedView;
use crate::domain::sla::SlaPolicy;
use crate::domain::text_module::TextModule;

/// The most entries one batch is read back with (a batch is at most
/// [`crate::domain::batch::MAX_BATCH`] tickets, one entry each).
pub const MAX_BATCH_ENTRIES: usize = crate::domain::batch::MAX_BATCH;

/// Moves of one queue's depth, hour by hour: (hour since the epoch, net
/// change in that hour).
pub type HourlyDepth = Vec<(u64, i64)>;

/// The counter of open tickets in `queue`.
pub(super) fn depth_tally(queue: Queue) -> Vec<u8> {
    vec![b'd', queue.code()]
}

/// How a write moves the counters: -1 for each the old record stood in,
/// +1 for each the new one does, the ones both stand in left alone.
pub(super) fn tally_moves(old: Vec<Vec<u8>>, new: Vec<Vec<u8>>) -> Vec<(Vec<u8>, i64)> {
    let mut moves: Vec<(Vec<u8>, i64)> = Vec::new();
    for t in old.iter().filter(|t| !new.contains(t)) {
        moves.push((t.clone(), -1));
    }
    for t in new.into_iter().filter(|t| !old.contains(t)) {
        moves.push((t, 1));
    }
    moves
}

/// The hour an instant falls in, counted from the epoch.
pub fn hour_of(at: DateTime<Utc>) -> u64 {
    at.timestamp().div_euclid(3600).max(0) as u64
}

pub(super) fn tally_key(tally: &[u8], at: DateTime<Utc>) -> Vec<u8> {
    let mut key = tally.to_vec();
    key.extend_from_slice(&hour_of(at).to_be_bytes());
    key
}

pub(super) fn read_tally(bytes: Option<&[u8]>) -> i64 {
    bytes.and_then(|b| b.try_into().ok()).map_or(0, i64::from_be_bytes)
}

pub(super) fn batch_key(batch: u64, seq: u64) -> Vec<u8> {
    Key::new().u64(batch).u64(seq).build()
}

impl Store {
    /// The audit entries of a batch, in the order they were written.
    pub fn batch_entries(&self, batch: u64) -> Result<Vec<AuditEntry>, StoreError> {
        let prefix = batch.to_be_bytes();
        let mut out = Vec::new();
        for r in self.tree(TreeId::AuditByBatch).scan_prefix(prefix).take(MAX_BATCH_ENTRIES) {
            let (key, _) = r.map_err(|e| self.io_error(e))?;
            let Some(seq) = trailing_u64(&key) else { continue };
            if let Some(entry) = self.get::<AuditEntry>(&seq.to_be_bytes())? {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// Open tickets in `queue` now, counted from the queue index's keys
    /// (no ticket is read).
    pub fn open_in_queue(&self, queue: Queue) -> Result<u64, StoreError> {
        let prefix = Key::new().u8(queue.code()).u8(0).build();
        let mut n = 0;
        for r in self.tree(TreeId::TicketsByQueue).scan_prefix(prefix) {
            r.map_err(|e| self.io_error(e))?;
            n += 1;
        }
        Ok(n)
    }

    /// The hourly moves of `queue`'s depth from hour `from` on.
    pub fn depth_moves(&self, queue: Queue, from: u64) -> Result<HourlyDepth, StoreError> {
        let tally = depth_tally(queue);
        let mut start = tally.clone();
        start.extend_from_slice(&from.to_be_bytes());
        let mut out = Vec::new();
        for r in self.tree(TreeId::TicketTallies).range(start..) {
            let (key, value) = r.map_err(|e| self.io_error(e))?;
            if !key.starts_with(&tally) {
                break;
            }
            if let Some(hour) = read_u64(&key, tally.len()) {
                out.push((hour, read_tally(Some(&value))));
            }
        }
        Ok(out)
    }

    pub fn text_module(&self, name: &str) -> Result<Option<TextModule>, StoreError> {
        self.get(name.as_bytes())
    }

    /// Every text module by name, up to `limit`.
    pub fn text_modules(&self, limit: usize) -> Result<Vec<TextModule>, StoreError> {
        self.all_of(TreeId::Texts, &[], limit)
    }

    pub fn saved_view(&self, owner: Option<&str>, name: &str) -> Result<Option<SavedView>, StoreError> {
        self.get(&view_key(owner, name))
    }

    /// The views one operator sees: their own, then the shared ones.
    pub fn saved_views(&self, owner: &str, limit: usize) -> Result<Vec<SavedView>, StoreError> {
        let mut out = self.all_of(TreeId::Views, &view_prefix(Some(owner)), limit)?;
        out.extend(self.all_of::<SavedView>(TreeId::Views, &view_prefix(None), limit)?);
        Ok(out)
    }

    pub fn sla_policy(&self) -> Result<SlaPolicy, StoreError> {
        Ok(self.get::<SlaPolicy>(SLA_KEY)?.unwrap_or_default())
    }

    fn all_of<R: Record>(&self, tree: TreeId, prefix: &[u8], limit: usize) -> Result<Vec<R>, StoreError> {
        let mut out = Vec::new();
        for r in self.tree(tree).scan_prefix(prefix).take(limit) {
            let (_, value) = r.map_err(|e| self.io_error(e))?;
            out.push(super::records::decode(&value)?);
        }
        Ok(out)
    }
}

const SLA_KEY: &[u8] = b"sla";

/// Shared views under 0, personal ones under 1 and their owner.
fn view_prefix(owner: Option<&str>) -> Vec<u8> {
    match owner {
        None => vec![0],
        Some(o) => Key::new().u8(1).text(o).build(),
    }
}

fn view_key(owner: Option<&str>, name: &str) -> Vec<u8> {
    let mut key = view_prefix(owner);
    key.extend(Key::new().text(name).build());
    key
}

impl Record for TextModule {
    const TREE: TreeId = TreeId::Texts;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "text module";
    fn key(&self) -> Vec<u8> {
        self.name.as_bytes().to_vec()
    }
    fn label(&self) -> String {
        self.name.clone()
    }
    fn meta(&self) -> Option<&crate::domain::record::RecordMeta> {
        Some(&self.meta)
    }
}

impl Record for SavedView {
    const TREE: TreeId = TreeId::Views;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "saved view";
    fn key(&self) -> Vec<u8> {
        view_key(self.owner.as_deref(), &self.name)
    }
    fn label(&self) -> String {
        match &self.owner {
            Some(o) => format!("{o}/{}", self.name),
            None => format!("shared/{}", self.name),
        }
    }
    fn meta(&self) -> Option<&crate::domain::record::RecordMeta> {
        Some(&self.meta)
    }
}

impl Record for SlaPolicy {
    const TREE: TreeId = TreeId::Meta;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "SLA policy";
    fn key(&self) -> Vec<u8> {
        SLA_KEY.to_vec()
    }
    fn label(&self) -> String {
        "SLA policy".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_moves_only_the_counters_that_changed() {
        let nas = depth_tally(Queue::Nas);
        let res = depth_tally(Queue::Resolver);
        assert_eq!(tally_moves(vec![], vec![nas.clone()]), vec![(nas.clone(), 1)]);
        assert_eq!(tally_moves(vec![nas.clone()], vec![nas.clone()]), vec![]);
        assert_eq!(tally_moves(vec![nas.clone()], vec![]), vec![(nas.clone(), -1)]);
        assert_eq!(tally_moves(vec![nas.clone()], vec![res.clone()]), vec![(nas, -1), (res, 1)]);
    }

    #[test]
    fn view_keys_keep_owners_apart() {
        assert!(view_key(Some("nas1"), "x").starts_with(&view_prefix(Some("nas1"))));
        assert!(!view_key(Some("nas10"), "x").starts_with(&view_prefix(Some("nas1"))));
        assert!(!view_key(None, "x").starts_with(&view_prefix(Some("nas1"))));
    }
}
