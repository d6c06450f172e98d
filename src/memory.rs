//! How the process takes memory from the kernel.

/// Turns transparent huge pages off for this process, before it has taken
/// much memory.
///
/// mimalloc asks for huge pages (`MADV_HUGEPAGE`) on the segments it maps,
/// and a kernel that compacts memory to find one when such a page is first
/// touched (Debian's `defrag` setting, `madvise`) can stall the faulting
/// thread for hundreds of milliseconds and then zero 2 MiB for it. Under
/// 110 paced connections the daemon spent a third of its time zeroing
/// pages and its p99s went from a few milliseconds to 100–600 ms; with
/// huge pages off they came back (docs/performance.md, "The daemon under
/// load"). A national demo build, whose 5 GB also grows by faults, was a
/// fifth faster without them. Failing (an old kernel) changes nothing
/// else, so it is not an error.
pub fn small_pages_only() {
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_process_takes_no_huge_pages_once_told() {
        super::small_pages_only();
        assert_eq!(nix::sys::prctl::get_thp_disable(), Ok(true));
    }
}
