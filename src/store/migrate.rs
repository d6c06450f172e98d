//! Bringing a database made under an older layout up to this one, once, as
//! it is opened.
//!
//! A layout step only ever adds index trees or gives existing index
//! entries new values: it writes them from the records they index, through
//! the same [`Record::indexes`] that commits use, so a rebuilt entry is
//! exactly the one a commit would have written. Each step is idempotent and
//! the layout number is stored after its entries are flushed, so a step cut
//! short by a crash is simply run again on the next open. Nothing here may
//! change a record.

use super::records::{self, Record, TreeId};
use super::{LAYOUT_KEY, Store, StoreError};
use crate::domain::account::Account;
use crate::domain::mailbox::Mailbox;
use crate::domain::organisation::Organisation;
use crate::domain::ticket::Ticket;

/// The index trees each layout added, or whose values it changed, by the
/// layout that did it.
const ADDED: &[(u8, &[TreeId])] = &[
    (2, &[TreeId::OrgsByWord, TreeId::AccountsByWord, TreeId::MailboxesByWord]),
    // Covering account indexes, rows with the queue index, and the rows.
    (
        3,
        &[
            TreeId::AccountsByAddress,
            TreeId::AccountsByMobile,
            TreeId::AccountsByName,
            TreeId::AccountsByOrg,
            TreeId::TicketsByQueue,
            TreeId::TicketsRows,
        ],
    ),
];

/// The values the trees layout 3 reshaped held before it: how many leading
/// bytes of each value an older layout wrote (an id, the status and
/// category codes, or nothing).
const BEFORE_3: &[(TreeId, usize)] = &[
    (TreeId::AccountsByAddress, 8),
    (TreeId::AccountsByMobile, 8),
    (TreeId::AccountsByName, 0),
    (TreeId::AccountsByOrg, 0),
    (TreeId::TicketsByQueue, 2),
];

/// Records read between two writes of rebuilt entries.
const BATCH: usize = 10_000;

impl Store {
    /// Runs every step after `from`, then records the current layout.
    pub(super) fn upgrade_layout(&self, from: u8) -> Result<(), StoreError> {
        for (layout, trees) in ADDED.iter().filter(|(layout, _)| *layout > from) {
            tracing::info!(layout, path = %self.path.display(), "building the indexes this layout adds");
            self.rebuild_indexes::<Organisation>(trees)?;
            self.rebuild_indexes::<Account>(trees)?;
            self.rebuild_indexes::<Mailbox>(trees)?;
            self.rebuild_indexes::<Ticket>(trees)?;
            self.flush()?;
            self.tree(TreeId::Meta).insert(LAYOUT_KEY, &[*layout]).map_err(|e| self.io_error(e))?;
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the entries every `R` places in `trees`. Costs one scan of
    /// `R`'s tree, which is why it runs once per layout and never per read;
    /// entries are written [`BATCH`] records at a time so memory stays flat
    /// at national scale.
    fn rebuild_indexes<R: Record>(&self, trees: &[TreeId]) -> Result<(), StoreError> {
        let mut batches: Vec<(TreeId, sled::Batch)> = Vec::new();
        let mut pending = 0;
        for item in self.tree(R::TREE).iter() {
            let (_, bytes) = item.map_err(|e| self.io_error(e))?;
            let record: R = records::decode(&bytes)?;
            for entry in record.indexes().into_iter().filter(|e| trees.contains(&e.tree)) {
                match batches.iter_mut().find(|(t, _)| *t == entry.tree) {
                    Some((_, batch)) => batch.insert(entry.key, entry.value),
                    None => {
                        let mut batch = sled::Batch::default();
                        batch.insert(entry.key, entry.value);
                        batches.push((entry.tree, batch));
                    }
                }
            }
            pending += 1;
            if pending == BATCH {
                self.apply(std::mem::take(&mut batches))?;
                pending = 0;
            }
        }
        self.apply(batches)
    }

    fn apply(&self, batches: Vec<(TreeId, sled::Batch)>) -> Result<(), StoreError> {
        for (tree, batch) in batches {
            self.tree(tree).apply_batch(batch).map_err(|e| self.io_error(e))?;
        }
        Ok(())
    }
}

impl Store {
    /// Makes this database look as a build of `layout` left it: the index
    /// trees added since are emptied and the older layout recorded. For
    /// tests of the upgrade on open.
    #[doc(hidden)]
    pub fn pretend_layout(&self, layout: u8) -> Result<(), StoreError> {
        for (added, trees) in ADDED.iter().filter(|(added, _)| *added > layout) {
            for tree in *trees {
                match BEFORE_3.iter().find(|(t, _)| t == tree).filter(|_| *added == 3) {
                    // Reshaped, not added: cut each value back to its old form.
                    Some((_, keep)) => {
                        for item in self.tree(*tree).iter() {
                            let (key, value) = item.map_err(|e| self.io_error(e))?;
                            let old = value.get(..*keep).unwrap_or(&value).to_vec();
                            self.tree(*tree).insert(key, old).map_err(|e| self.io_error(e))?;
                        }
                    }
                    None => {
                        self.tree(*tree).clear().map_err(|e| self.io_error(e))?;
                    }
                }
            }
        }
        self.tree(TreeId::Meta).insert(LAYOUT_KEY, &[layout]).map_err(|e| self.io_error(e))?;
        self.flush()
    }
}
