//! Rows exported twice in overlapping files (a month of daily exports that share their edges,
//! the same file given twice): each is counted once, and the copy is reported as info.
//!
//! Within one file, identical rows are genuine: two sales of the same amount on the same card
//! in the same second are both kept, and two identical statement lines are a settlement made
//! twice. Across files, a row that repeats another file's row is the same row exported twice.
//! When both files hold several identical rows, the file with the most holds them all (an
//! overlapping export repeats all of them, or some): its rows are kept and the other files'
//! rows are the copies, each paired with one of the kept rows in order.

use crate::model::FileId;
use std::collections::HashMap;
use std::hash::Hash;

/// A copy and the row it repeats, as indices into the rows (journal or statement order).
pub type Repeat = (u32, u32);

/// The rows that repeat a row of another file: (copy, original), by copy. `rows` gives each
/// candidate row's index, file and contents, in row order.
pub fn copies<K: Hash + Eq>(rows: impl Iterator<Item = (u32, FileId, K)>) -> Vec<Repeat> {
    let mut by_contents: HashMap<K, Vec<(FileId, u32)>> = HashMap::new();
    for (i, file, key) in rows {
        by_contents.entry(key).or_default().push((file, i));
    }
    let mut out = Vec::new();
    for same in by_contents.into_values() {
        if same.iter().all(|(f, _)| *f == same[0].0) {
            continue;
        }
        // Files in the order of their first such row; the first with the most rows keeps them.
        let mut files: Vec<(FileId, usize)> = Vec::new();
        for (f, _) in &same {
            match files.iter_mut().find(|(g, _)| g == f) {
                Some((_, n)) => *n += 1,
                None => files.push((*f, 1)),
            }
        }
        let most = files.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let Some(&(keeper, _)) = files.iter().find(|(_, n)| *n == most) else {
            continue;
        };
        let kept: Vec<u32> = (same.iter().filter(|(f, _)| *f == keeper))
            .map(|(_, i)| *i)
            .collect();
        for &(f, _) in &files {
            if f == keeper {
                continue;
            }
            let theirs = same.iter().filter(|(g, _)| *g == f).map(|(_, i)| *i);
            out.extend(theirs.zip(&kept).map(|(copy, &original)| (copy, original)));
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::copies;
    use crate::model::FileId;

    fn run(rows: &[(u32, u32, &str)]) -> Vec<(u32, u32)> {
        copies(rows.iter().map(|&(i, f, k)| (i, FileId(f), k)))
    }

    #[test]
    fn identical_rows_of_one_file_are_all_kept() {
        assert_eq!(run(&[(0, 0, "a"), (1, 0, "a"), (2, 0, "b")]), []);
    }

    #[test]
    fn a_row_repeated_in_another_file_is_a_copy_of_it() {
        assert_eq!(
            run(&[(0, 0, "a"), (1, 0, "b"), (2, 1, "b"), (3, 1, "c")]),
            [(2, 1)]
        );
        // The same file given twice: every row of the second is a copy.
        assert_eq!(
            run(&[(0, 0, "a"), (1, 0, "b"), (2, 1, "a"), (3, 1, "b")]),
            [(2, 0), (3, 1)]
        );
    }

    #[test]
    fn the_file_with_the_most_identical_rows_keeps_them() {
        // Two genuine identical sales in the first file, one of them in the overlap of the
        // second: both kept, the second file's is a copy of the first of them.
        assert_eq!(run(&[(0, 0, "a"), (1, 0, "a"), (2, 1, "a")]), [(2, 0)]);
        // The other way round: the second file holds both.
        assert_eq!(run(&[(0, 0, "a"), (1, 1, "a"), (2, 1, "a")]), [(0, 1)]);
        // Three files, each seeing some of three identical rows.
        assert_eq!(
            run(&[
                (0, 0, "a"),
                (1, 1, "a"),
                (2, 1, "a"),
                (3, 1, "a"),
                (4, 2, "a"),
                (5, 2, "a")
            ]),
            [(0, 1), (4, 1), (5, 2)]
        );
    }
}
