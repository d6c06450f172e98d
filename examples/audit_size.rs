//! Bytes an audit entry takes in each database named: `cargo run --release
//! --example audit_size -- DB...` (docs/performance.md, "The audit entry").

fn main() {
    use caredesk::store::{OpenMode, Store, TreeId};
    for path in std::env::args().skip(1) {
        let store = Store::open(std::path::Path::new(&path), OpenMode::Existing).unwrap();
        let (mut n, mut bytes, mut all) = (0u64, 0u64, 0u64);
        for (tree, k, v) in store.raw_dump().unwrap() {
            all += (k.len() + v.len()) as u64;
            if tree == TreeId::Audit {
                n += 1;
                bytes += v.len() as u64;
            }
        }
        println!(
            "{path}: {n} entries, {bytes} B of values, {:.0} B an entry; all trees {all} B",
            bytes as f64 / n as f64
        );
    }
}
