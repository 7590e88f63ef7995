//! What the last few cells of a vocabulary column meant. A status, type, channel or currency
//! column holds a handful of words (sale, refund; approved, declined; card, qr), so the words
//! seen last are kept packed in integers: comparing one costs less than the vocabulary's lookup.

use crate::symbols::short_image;

/// Words of up to this many bytes are kept; longer ones are looked up each time.
const WIDTH: usize = 15;
/// How many words are kept.
const WAYS: usize = 4;

#[derive(Debug)]
pub(super) struct Memo<T> {
    /// Each word's bytes, then its length in the last byte; 0 for an empty slot (the empty
    /// word is never kept).
    keys: [u128; WAYS],
    values: [Option<T>; WAYS],
    /// The slot the next new word takes.
    next: usize,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            keys: [0; WAYS],
            values: [const { None }; WAYS],
            next: 0,
        }
    }
}

impl<T: Clone> Memo<T> {
    /// What `raw` means: `parse(raw)`, remembered. Inlined where it is called, but for the
    /// lookup of a word not kept.
    #[inline]
    pub(super) fn get(&mut self, raw: &str, parse: fn(&str) -> T) -> T {
        if let Some(value) = self.kept(raw) {
            return value;
        }
        self.learn(raw, parse)
    }

    /// What `raw` means when it is a word `known` accepts: `parse(raw)`, remembered; `None` for
    /// any other word, which is never kept. So a word kept is known, and its lookup costs no
    /// more than `get`'s.
    #[inline(always)]
    pub(super) fn get_known(
        &mut self,
        raw: &str,
        parse: fn(&str) -> T,
        known: fn(&T) -> bool,
    ) -> Option<T> {
        if let Some(value) = self.kept(raw) {
            return Some(value);
        }
        let value = parse(raw);
        known(&value).then(|| self.keep(raw, value))
    }

    /// The value kept for `raw`, if it is.
    #[inline(always)]
    fn kept(&self, raw: &str) -> Option<T> {
        let key = pack(raw.as_bytes())?;
        let i = self.keys.iter().position(|&k| k == key)?;
        // The value's own clone, which the vocabularies inline, not `Option`'s.
        let Some(value) = &self.values[i] else {
            return None;
        };
        Some(value.clone())
    }

    /// `parse(raw)`, kept in the oldest slot when the word fits one.
    #[cold]
    #[inline(never)]
    fn learn(&mut self, raw: &str, parse: fn(&str) -> T) -> T {
        let value = parse(raw);
        self.keep(raw, value)
    }

    /// Keeps `value` for `raw` in the oldest slot when the word fits one; gives it back.
    #[cold]
    #[inline(never)]
    fn keep(&mut self, raw: &str, value: T) -> T {
        if let Some(key) = pack(raw.as_bytes()) {
            self.keys[self.next] = key;
            self.values[self.next] = Some(value.clone());
            self.next = (self.next + 1) % WAYS;
        }
        value
    }
}

/// A word of 1 to `WIDTH` bytes as one integer: its bytes, then its length.
fn pack(word: &[u8]) -> Option<u128> {
    if word.is_empty() || word.len() > WIDTH {
        return None;
    }
    Some(short_image(word)? | (word.len() as u128) << (8 * WIDTH))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static CALLS: Cell<usize> = const { Cell::new(0) };
    }

    fn upper(s: &str) -> String {
        CALLS.with(|c| c.set(c.get() + 1));
        s.to_uppercase()
    }

    /// The overlapping loads give each word the integer its bytes and length spell.
    #[test]
    fn a_word_packs_as_its_bytes_then_its_length() {
        let text = b"abcdefghijklmnopq";
        for n in 0..=text.len() {
            let word = &text[..n];
            let want = (1..=WIDTH).contains(&n).then(|| {
                let mut bytes = [0u8; 16];
                bytes[..n].copy_from_slice(word);
                bytes[WIDTH] = n as u8;
                u128::from_le_bytes(bytes)
            });
            assert_eq!(pack(word), want, "{n}");
        }
    }

    #[test]
    fn remembers_the_last_words_and_tells_them_apart() {
        let mut memo = Memo::default();
        let words = [
            "sale", "refund", "sale", "void", "refund", "sale", "", "sale\0",
        ];
        for w in words {
            assert_eq!(memo.get(w, upper), w.to_uppercase(), "{w:?}");
        }
        // sale, refund, void, the empty word (never kept) and "sale\0" were looked up.
        assert_eq!(CALLS.with(Cell::get), 5);
        let long = "a word longer than fifteen bytes";
        assert_eq!(memo.get(long, upper), long.to_uppercase());
        assert_eq!(memo.get(long, upper), long.to_uppercase());
        assert_eq!(CALLS.with(Cell::get), 7);
        // Five words in four slots: the oldest is looked up again.
        for w in ["a", "b", "c", "d", "e", "a"] {
            memo.get(w, upper);
        }
        assert_eq!(CALLS.with(Cell::get), 13);
    }

    /// A word `known` refuses is `None` each time and never takes a slot from a known one.
    #[test]
    fn only_known_words_are_kept() {
        let mut memo = Memo::default();
        let known = |s: &String| s != "BANANA";
        for _ in 0..3 {
            assert_eq!(
                memo.get_known("sale", upper, known).as_deref(),
                Some("SALE")
            );
            assert_eq!(memo.get_known("banana", upper, known), None);
        }
        // "sale" once, "banana" each time.
        assert_eq!(CALLS.with(Cell::get), 4);
    }
}
