//! The benchmark's data generator is part of what the benchmark proves: its own tests run here,
//! plus a check that the generated files are read back whole by the ingest.

#[allow(dead_code)]
#[path = "../benches/data.rs"]
mod data;

use txaudit::ingest::{IngestOptions, Zone, read_file};
use txaudit::model::FileId;

#[test]
fn generated_files_are_read_back_whole_and_are_reproducible() {
    let dir = tempfile::TempDir::new().unwrap();
    let (tx, st) = (dir.path().join("tx.csv"), dir.path().join("st.csv"));
    data::write_transactions(&tx, 5_000, 42).unwrap();
    data::write_settlement(&st, 5_000, 42).unwrap();
    let again = dir.path().join("tx2.csv");
    data::write_transactions(&again, 5_000, 42).unwrap();
    assert_eq!(std::fs::read(&tx).unwrap(), std::fs::read(&again).unwrap());
    let opts = IngestOptions {
        tz: Zone::parse("Asia/Shanghai"),
        ..Default::default()
    };
    for path in [&tx, &st] {
        let report = read_file(path, FileId(0), &opts, |_| {}).unwrap();
        assert_eq!(
            (report.rows.read, report.rows.accepted, report.rows.rejected),
            (5_000, 5_000, 0),
            "{}",
            path.display()
        );
    }
}
