//! `caredesk backup FILE`: a consistent copy of the database, taken where
//! the database is open (in the daemon, while operators keep working), with
//! writes held back only while the trees are copied into memory.
//!
//! The file is written by the process that holds the database, as the user
//! that owns it: a supervisor's request names where, and the service
//! refuses what could hurt the database (a relative path, a place inside
//! the database directory, a file that exists). The file is owner-only,
//! like the database, since it holds everything the database does.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Ctx, Operation, Service, ServiceError};
use crate::domain::permission::Action;
use crate::store::{BackupError, BackupMade};

/// Writes a backup of the whole database to `path` (absolute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    pub path: PathBuf,
}

impl Operation for Backup {
    type Answer = BackupMade;
    const NAME: &'static str = "database.backup";

    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<BackupMade, ServiceError> {
        // A backup holds every record and the whole audit log.
        service.authorise(ctx, Action::ReadAudit)?;
        let path = backup_target(&self.path, service.store().path())?;
        let made = service.store().backup(&path).map_err(backup_error)?;
        tracing::info!(
            operator = %ctx.operator,
            entries = made.entries,
            paused_micros = made.paused_micros,
            "backup written to {}",
            crate::text::one_line(&path.display().to_string())
        );
        Ok(made)
    }
}

/// Where a backup may go: an absolute path, outside the database.
pub fn backup_target(path: &Path, db: &Path) -> Result<PathBuf, ServiceError> {
    if !path.is_absolute() {
        return Err(ServiceError::BadInput(format!(
            "the backup file must be given as an absolute path, not {}",
            crate::text::one_line(&path.display().to_string())
        )));
    }
    let parent = path.parent().filter(|p| p.is_dir()).ok_or_else(|| {
        ServiceError::BadInput(format!(
            "the folder for the backup file {} does not exist: create it first",
            crate::text::one_line(&path.display().to_string())
        ))
    })?;
    let parent = parent.canonicalize().map_err(|e| ServiceError::BadInput(format!("{}: {e}", parent.display())))?;
    let db = db.canonicalize().unwrap_or_else(|_| db.to_owned());
    if parent.starts_with(&db) {
        return Err(ServiceError::BadInput(
            "a backup cannot be written inside the database directory: choose a folder outside it".into(),
        ));
    }
    Ok(parent.join(path.file_name().unwrap_or_default()))
}

fn backup_error(e: BackupError) -> ServiceError {
    match e {
        BackupError::Store(e) => ServiceError::Store(e),
        other => ServiceError::BadInput(other.to_string()),
    }
}
