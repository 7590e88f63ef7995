//! What several integration tests share: running the binary and reading its JSON report.

use serde_json::Value;
use std::process::Command;

/// Runs txaudit with `args` and reads its JSON report; the run must succeed (exit 0: the tests
/// pass `--fail-on never`), else the test fails with what it printed on stderr.
pub fn json_report<I, S>(args: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let o = Command::new(env!("CARGO_BIN_EXE_txaudit"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    serde_json::from_slice(&o.stdout).unwrap()
}
