//! Bulk work through the service in batches, and telling what changed.
//!
//! [`Service::batch`] runs commands exactly as one at a time (each is
//! authorised, checked and audited on its own) but has the store write
//! them together (see `store/batch.rs`). What they changed is told to the
//! listeners and the kept queue lists only once the batch is on disk: a
//! console must never be sent to read a record that is not there yet, and
//! a batch that was not written changed nothing.

use std::cell::RefCell;

use super::queue::TicketRow;
use super::{ChangeEvent, Service, ServiceError};
use crate::store::StoreError;

thread_local! {
    /// Changes of the batch running on this thread, not yet told.
    static UNTOLD: RefCell<Vec<ChangeEvent>> = const { RefCell::new(Vec::new()) };
}

impl Service {
    /// Runs `work` as one batch of the store: the commands it runs on this
    /// thread are written together, each with its audit entry, and then
    /// told. On [`StoreError::Interrupted`] (another operator wrote
    /// meanwhile) nothing of it was written or told: run the work again
    /// outside a batch. Only for bulk work whose caller reports after this
    /// returns (imports, the demo builder): an interactive command must be
    /// written before its operator hears of it.
    pub fn batch<T>(&self, work: impl FnOnce() -> T) -> Result<T, ServiceError> {
        if self.store.in_batch() {
            return Ok(work());
        }
        UNTOLD.with(|u| u.borrow_mut().clear());
        // The batch's writes land at its end, inside this turn, so a backup
        // holds all of them or none.
        let turn = self.store.writes_open();
        let written = self.store.batch(work);
        drop(turn);
        let untold = UNTOLD.with(|u| std::mem::take(&mut *u.borrow_mut()));
        let answer = written?;
        for event in untold {
            self.tell(&event);
        }
        Ok(answer)
    }

    /// A change was committed: tell it now, or once its batch is written.
    pub(super) fn changed(&self, event: ChangeEvent) {
        if self.store.in_batch() {
            UNTOLD.with(|u| u.borrow_mut().push(event));
        } else {
            self.tell(&event);
        }
    }

    fn tell(&self, event: &ChangeEvent) {
        let tickets: Vec<_> = event.tickets().collect();
        if !tickets.is_empty() {
            self.slot_cache.tickets_changed(&tickets, |r| Ok(self.store.ticket_row(r)?.map(TicketRow::from)));
        }
        self.listeners.publish(event);
    }
}

/// Whether a batch failed only because another writer got in, so the same
/// work may be run again one command at a time.
pub fn interrupted(error: &ServiceError) -> bool {
    matches!(error, ServiceError::Store(StoreError::Interrupted))
}
