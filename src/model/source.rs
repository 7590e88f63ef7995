//! Where a record came from: a file (by index into the run's file table) and a physical line.

use serde::Serialize;

/// Index of an input file in the run's file table; `Copy`, so every record can carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileId(pub u32);

/// A record's origin: the file and the 1-based physical line its row starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Source {
    pub file: FileId,
    pub line: u64,
}
