//! Where the socket lives and who may reach it.
//!
//! The socket sits in a directory of its own beside the database, which only
//! the daemon's user and the caredesk group may enter: the directory, not
//! the socket's own mode, is what the kernel checks on every platform.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use nix::unistd::{Gid, Group, Uid, chown};

/// The group an installation puts its operators in.
pub const DEFAULT_GROUP: &str = "caredesk";

/// The socket for the database at `db`: `DB.run/caredesk.sock`, so that
/// `--db DIR` alone finds it.
pub fn default_socket(db: &Path) -> PathBuf {
    let name = db.file_name().map_or_else(|| "caredesk".into(), |n| n.to_string_lossy().into_owned());
    db.with_file_name(format!("{name}.run")).join("caredesk.sock")
}

/// The group the socket's directory is given: the one named, which must
/// exist, or the caredesk group when there is one.
fn group(named: Option<&str>) -> Result<Option<Group>> {
    match named {
        Some(name) => match Group::from_name(name).with_context(|| format!("could not look up group {name}"))? {
            Some(g) => Ok(Some(g)),
            None => bail!("there is no group {name:?}: create it (`groupadd {name}`) or give another with --group"),
        },
        None => Ok(Group::from_name(DEFAULT_GROUP).ok().flatten()),
    }
}

/// Makes the socket's directory ready: created if missing, entered by no one
/// outside its owner and group, and in `group` when given. Removes a socket
/// left behind by a daemon that did not stop cleanly.
pub(super) fn prepare(socket: &Path, named_group: Option<&str>) -> Result<()> {
    let dir = socket.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let group = group(named_group)?;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(dir)
            .with_context(|| format!("could not create the socket directory {}", dir.display()))?;
        // The umask may have taken group bits away; the group must get in.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750))
            .with_context(|| format!("could not set the mode of {}", dir.display()))?;
    }
    let meta = std::fs::metadata(dir).with_context(|| format!("could not read {}", dir.display()))?;
    let mode = meta.mode() & 0o7777;
    let ours = meta.uid() == Uid::effective().as_raw();
    if mode & 0o007 != 0 {
        if !ours {
            bail!(
                "the socket directory {} can be entered by every user (mode {mode:o}) and is not the daemon's to \
                 change: give --socket in a directory only the daemon's user and the caredesk group can enter, \
                 such as the default beside the database",
                dir.display()
            );
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o770))
            .with_context(|| format!("could not close {} to other users", dir.display()))?;
    }
    if let Some(g) = &group {
        if meta.gid() != g.gid.as_raw() {
            chown(dir, None, Some(g.gid)).with_context(|| {
                format!(
                    "could not give {} to group {}: run the daemon as a member of that group (the caredesk user), \
                     or change the directory's group yourself",
                    dir.display(),
                    g.name
                )
            })?;
        }
    }
    if std::fs::symlink_metadata(socket).is_ok() {
        if std::os::unix::net::UnixStream::connect(socket).is_ok() {
            bail!("a caredesk daemon already answers at {}: stop it first", socket.display());
        }
        std::fs::remove_file(socket).with_context(|| {
            format!("could not remove the old socket {} left by a stopped daemon", socket.display())
        })?;
    }
    Ok(())
}

/// After binding: the socket itself is for the owner and the group.
pub(super) fn finish(socket: &Path, named_group: Option<&str>) -> Result<()> {
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o660))
        .with_context(|| format!("could not set the mode of {}", socket.display()))?;
    if let Some(g) = group(named_group)? {
        let _ = chown(socket, None::<Uid>, Some::<Gid>(g.gid));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_socket_sits_beside_the_database() {
        assert_eq!(
            default_socket(Path::new("/var/lib/caredesk/db")),
            PathBuf::from("/var/lib/caredesk/db.run/caredesk.sock")
        );
    }

    #[test]
    fn a_new_directory_is_closed_to_other_users_and_an_open_one_is_closed() {
        let tmp = tempfile::tempdir().unwrap();
        let socket = tmp.path().join("db.run").join("caredesk.sock");
        prepare(&socket, None).unwrap();
        let mode = std::fs::metadata(socket.parent().unwrap()).unwrap().mode() & 0o777;
        assert_eq!(mode & 0o007, 0, "mode {mode:o}");
        std::fs::set_permissions(socket.parent().unwrap(), std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare(&socket, None).unwrap();
        let mode = std::fs::metadata(socket.parent().unwrap()).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o750);
    }

    #[test]
    fn a_group_that_does_not_exist_is_named_in_the_refusal() {
        let tmp = tempfile::tempdir().unwrap();
        let err = prepare(&tmp.path().join("s.sock"), Some("no-such-group-caredesk")).unwrap_err();
        assert!(err.to_string().contains("groupadd no-such-group-caredesk"), "{err}");
    }
}
