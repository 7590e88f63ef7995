//! Combinations of id cells seen lately (a row's terminal, merchant, city and batch, and its
//! card type where it has one), found by the cells' raw bytes: a row that repeats a recent row's
//! cells gets that row's number for them (its place) without interning a cell or hashing into a
//! table.
//!
//! A cell of up to 16 bytes is held exactly, as two words and its length (`Cell`), so a
//! combination is matched by comparing words, never by reading the symbol table; a row with a
//! longer cell is not looked up here.

use super::short_image;

/// One cell, exactly: its length (`ABSENT` for no cell) and its bytes in two words
/// (`short_image`): with the length, the words tell any two cells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    words: [u64; 2],
    len: u8,
}

/// `Cell::len` for an absent cell; `EMPTY` in a slot never filled.
const ABSENT: u8 = u8::MAX;
const EMPTY: u8 = u8::MAX - 1;

impl Cell {
    fn of(text: Option<&str>) -> Option<Cell> {
        let Some(b) = text.map(str::as_bytes) else {
            return Some(Cell {
                words: [0, 0],
                len: ABSENT,
            });
        };
        let image = short_image(b)?;
        Some(Cell {
            words: [image as u64, (image >> 64) as u64],
            len: b.len() as u8,
        })
    }
}

/// The cells of a row, as `RecentCells` looks them up.
#[derive(Debug, Clone, Copy)]
pub struct Cells<const N: usize> {
    cells: [Cell; N],
    slot: usize,
}

impl<const N: usize> Cells<N> {
    /// The row's cells; `None` when one is longer than 16 bytes. Inlined, as it was when a log
    /// had one kind of key: now that rows with a card type have their own, the compiler would
    /// make it a call on every row.
    #[inline(always)]
    pub fn of(texts: [Option<&str>; N]) -> Option<Cells<N>> {
        let mut cells = [Cell {
            words: [0, 0],
            len: ABSENT,
        }; N];
        let mut mixed = 0u64;
        for (cell, text) in cells.iter_mut().zip(texts) {
            *cell = Cell::of(text)?;
            let [a, b] = cell.words;
            mixed = (mixed.rotate_left(21) ^ a ^ b.rotate_left(32) ^ u64::from(cell.len))
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        let slot = (mixed >> (64 - SLOT_BITS)) as usize;
        Some(Cells { cells, slot })
    }
}

/// The slots of a `RecentCells`: a power of two. A log or statement has thousands of distinct
/// combinations, but only those of its open batches (a few hundred) in use at a time; 2,048
/// slots take 144 KiB for a log's four cells.
const SLOT_BITS: u32 = 11;
const SLOTS: usize = 1 << SLOT_BITS;

/// A direct-mapped table of recent combinations of `N` cells and the number each was given.
#[derive(Debug, Clone, Default)]
pub struct RecentCells<const N: usize> {
    /// `SLOTS` slots once one is filled.
    slots: Vec<Slot<N>>,
}

/// Cells and their number, the lengths apart from the words so that they pack: 72 bytes for
/// a log's four cells, where `[Cell; 4]` alone takes 96.
#[derive(Debug, Clone, Copy)]
struct Slot<const N: usize> {
    words: [[u64; 2]; N],
    lens: [u8; N],
    n: u32,
}

impl<const N: usize> RecentCells<N> {
    /// The number last put for exactly these cells, if their slot still holds it.
    pub fn get(&self, key: &Cells<N>) -> Option<u32> {
        let slot = self.slots.get(key.slot)?;
        let same = (key.cells.iter().zip(&slot.words).zip(&slot.lens))
            .all(|((c, words), len)| c.words == *words && c.len == *len);
        same.then_some(slot.n)
    }

    /// Notes `n` as the number of these cells.
    pub fn put(&mut self, key: &Cells<N>, n: u32) {
        if self.slots.is_empty() {
            let empty = Slot {
                words: [[0, 0]; N],
                lens: [EMPTY; N],
                n: 0,
            };
            self.slots = vec![empty; SLOTS];
        }
        self.slots[key.slot] = Slot {
            words: key.cells.map(|c| c.words),
            lens: key.cells.map(|c| c.len),
            n,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    /// The longest cell held.
    use crate::symbols::SHORT_IMAGE_MAX as MAX_LEN;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// Cells found in the table are the very cells put there: against a map of the texts,
        /// rows of short, long, absent and near-identical cells only ever find the number put
        /// for the same texts, and a row just put is found.
        #[test]
        fn cells_find_only_their_own_number(rows in prop::collection::vec(
            prop::array::uniform3(prop_oneof![
                1 => Just(None),
                8 => "[ab0-2]{0,18}".prop_map(Some),
                1 => "[\u{4e00}-\u{4e02}]{1,7}".prop_map(Some),
            ]),
            1..400,
        )) {
            let mut table = RecentCells::<3>::default();
            let mut numbers: HashMap<[Option<String>; 3], u32> = HashMap::new();
            for texts in &rows {
                let key = Cells::of(texts.each_ref().map(|t| t.as_deref()));
                let long = texts.iter().flatten().any(|t| t.len() > MAX_LEN);
                prop_assert_eq!(key.is_none(), long);
                let Some(key) = key else { continue };
                let fresh = numbers.len() as u32;
                let n = *numbers.entry(texts.clone()).or_insert(fresh);
                if let Some(found) = table.get(&key) {
                    prop_assert_eq!(found, n, "{:?}", texts);
                }
                table.put(&key, n);
                prop_assert_eq!(table.get(&key), Some(n));
            }
        }
    }

    #[test]
    fn a_slot_is_compact() {
        assert_eq!(std::mem::size_of::<Slot<5>>(), 96);
        assert_eq!(std::mem::size_of::<Slot<4>>(), 72);
        assert_eq!(std::mem::size_of::<Slot<3>>(), 56);
    }

    #[test]
    fn cells_of_every_length_differ_from_their_neighbours() {
        let text = "0123456789abcdefg";
        let mut seen = HashMap::new();
        for n in 0..=MAX_LEN {
            for at in 0..n.max(1) {
                for b in [b'0', b'x'] {
                    let mut t = text.as_bytes()[..n].to_vec();
                    if n > 0 {
                        t[at] = b;
                    }
                    let t = String::from_utf8(t).unwrap();
                    let cell = Cell::of(Some(&t)).unwrap();
                    if let Some(other) = seen.insert((cell.words, cell.len), t.clone()) {
                        assert_eq!(other, t);
                    }
                }
            }
        }
        assert_eq!(Cell::of(Some(&text[..MAX_LEN + 1])), None);
        assert_ne!(Cell::of(None), Cell::of(Some("")));
    }
}
