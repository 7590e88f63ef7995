//! Ids as small integers: repeated ids (terminal, merchant, city, …) interned once as a `Sym`;
//! ids with many distinct values (references, masked cards) packed into a `Ref` when they have
//! the usual shape, interned otherwise.
//!
//! Equal strings always get equal values and different strings different ones, so ids compare,
//! sort and hash as integers. Most references are numeric (an RRN is 12 digits) and most cards
//! are masked as `622588******1234`: packing them keeps a million-row run from hashing and
//! storing a million strings.

mod cells;

pub use cells::{Cells, RecentCells};
use compact_str::CompactString;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;
use std::ops::Deref;

/// An interned string; `Sym::NONE` for a missing value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(u32);

impl Default for Sym {
    fn default() -> Self {
        Sym::NONE
    }
}

impl Sym {
    pub const NONE: Sym = Sym(u32::MAX);

    pub fn is_none(self) -> bool {
        self == Sym::NONE
    }

    /// This symbol's position in its table's `names()`.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The symbol at position `i` of a table, for tests that build transactions by hand.
    #[cfg(test)]
    pub(crate) fn from_index(i: u32) -> Sym {
        Sym(i)
    }
}

/// A reference, transaction id, order id or masked card, packed in the value when it is
///
/// - 1 to `Ref::PACKED_DIGITS` ASCII digits (leading zeros kept),
/// - 1 to 3 capital ASCII letters then 1 to `Ref::PREFIXED_DIGITS` digits (`ORD600528701987`), or
/// - a masked card: 6 digits, 1 to 9 `*`, 4 digits;
///
/// else an interned string of the table. `Ref::NONE` for a missing value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ref(u64);

impl Default for Ref {
    fn default() -> Self {
        Ref::NONE
    }
}

impl Ref {
    pub const NONE: Ref = Ref(u64::MAX);
    /// The longest run of digits packed: 10^17 - 1 fits the 57 value bits.
    pub const PACKED_DIGITS: usize = 17;
    /// The longest run of digits packed after letters: 10^12 - 1 fits 40 bits, below 15 bits of
    /// letters (3 base-27 digits, `A` = 1).
    pub const PREFIXED_DIGITS: usize = 12;
    /// For digits after letters, the length field holds this plus the count of digits: above
    /// any length of a plain run of digits.
    const PREFIXED: u64 = 18;
    /// The longest text a packed value stands for (a 19-digit card, masked).
    const MAX_PACKED_LEN: usize = 19;
    const PACKED: u64 = 1 << 63;
    /// Set (with `PACKED`) for a masked card: stars in bits 34..38, the first 6 digits in bits
    /// 14..34, the last 4 in bits 0..14. Clear for digits: length in bits 57..62, value below
    /// (for digits after letters, `PREFIXED` + their count, then the letters above 40 bits).
    const CARD: u64 = 1 << 62;
    /// The bits a masked card takes below the flags.
    pub const CARD_BITS: u32 = 38;
    const LEN_SHIFT: u32 = 57;
    const VALUE_MASK: u64 = (1 << Self::LEN_SHIFT) - 1;

    pub fn is_none(self) -> bool {
        self == Ref::NONE
    }

    /// The bits below `Ref::CARD_BITS` that tell a packed masked card apart, ordered as the
    /// cards' `Ref`s are; `None` for any other value.
    pub fn card_bits(self) -> Option<u64> {
        let flags = Self::PACKED | Self::CARD;
        (self.0 & !((1 << Self::CARD_BITS) - 1) == flags)
            .then_some(self.0 & ((1 << Self::CARD_BITS) - 1))
    }

    /// `s` packed, when it has one of the packed shapes. Its first byte tells which shape it
    /// may have: a capital letter only digits after letters, a digit only a run of digits or
    /// (with a `*` where a run of digits would have its 7th) a masked card.
    fn pack(s: &[u8]) -> Option<Ref> {
        match s.first()? {
            b'0'..=b'9' if s.len() > 10 && s[6] == b'*' => Self::pack_card(s),
            b'0'..=b'9' if s.len() <= Self::PACKED_DIGITS => Some(Ref(Self::PACKED
                | (s.len() as u64) << Self::LEN_SHIFT
                | digits(s)?)),
            b'A'..=b'Z' => Self::pack_prefixed(s),
            _ => None,
        }
    }

    /// `s` packed as 1 to 3 capital letters then 1 to `PREFIXED_DIGITS` digits.
    fn pack_prefixed(s: &[u8]) -> Option<Ref> {
        let letters = s
            .iter()
            .take(3)
            .take_while(|b| b.is_ascii_uppercase())
            .count();
        let count = s.len() - letters;
        if !(1..=Self::PREFIXED_DIGITS).contains(&count) {
            return None;
        }
        let value = digits(&s[letters..])?;
        let prefix = (s[..letters].iter()).fold(0u64, |p, &b| p * 27 + u64::from(b - b'A' + 1));
        Some(Ref(Self::PACKED
            | (Self::PREFIXED + count as u64) << Self::LEN_SHIFT
            | prefix << 40
            | value))
    }

    /// `s` packed as a masked card: 6 digits, 1 to 9 `*`, 4 digits.
    fn pack_card(s: &[u8]) -> Option<Ref> {
        let stars = s.len().checked_sub(10).filter(|n| (1..=9).contains(n))?;
        // 4 to 8 stars are the first bytes of the word after the 6 digits.
        let starred = match stars {
            4..=8 => (word(&s[6..]) ^ u64::from_le_bytes([b'*'; 8])) << (8 * (8 - stars)) == 0,
            _ => s[6..6 + stars].iter().all(|&b| b == b'*'),
        };
        if !starred {
            return None;
        }
        // The 6 digits and the 4 in words of `0`s: the card is long enough to read them from
        // the 8 bytes at either end.
        let first = eight_digits(word(s) << 16 | ZEROS >> 48)?;
        let last = eight_digits(word(&s[s.len() - 8..]) & !0xFFFF_FFFF | ZEROS >> 32)?;
        Some(Ref(Self::PACKED
            | Self::CARD
            | (stars as u64) << 34
            | first << 14
            | last))
    }

    /// The text of a packed value, written into `buf`; its length. `None` if not packed.
    fn unpack(self, buf: &mut [u8; Self::MAX_PACKED_LEN]) -> Option<usize> {
        if self.0 & Self::PACKED == 0 || self == Ref::NONE {
            return None;
        }
        if self.0 & Self::CARD == 0 {
            let len = ((self.0 & !Self::PACKED) >> Self::LEN_SHIFT) as usize;
            if len <= Self::PACKED_DIGITS {
                write_digits(&mut buf[..len], self.0 & Self::VALUE_MASK);
                return Some(len);
            }
            let count = len - Self::PREFIXED as usize;
            let mut prefix = (self.0 & Self::VALUE_MASK) >> 40;
            let mut letters = [0u8; 3];
            let mut n = 0;
            while prefix > 0 {
                letters[n] = b'A' + (prefix % 27) as u8 - 1;
                prefix /= 27;
                n += 1;
            }
            for (to, from) in buf[..n].iter_mut().zip(letters[..n].iter().rev()) {
                *to = *from;
            }
            write_digits(&mut buf[n..n + count], self.0 & ((1 << 40) - 1));
            return Some(n + count);
        }
        let stars = ((self.0 >> 34) & 0xF) as usize;
        write_digits(&mut buf[..6], (self.0 >> 14) & 0xF_FFFF);
        buf[6..6 + stars].fill(b'*');
        write_digits(&mut buf[6 + stars..10 + stars], self.0 & 0x3FFF);
        Some(10 + stars)
    }

    /// The reference as one integer, ordered as references are: for indexes that keep it in
    /// two halves.
    pub fn bits(self) -> u64 {
        self.0
    }

    /// This reference in another table, given where each symbol of its own table went there
    /// (`Symbols::absorb`).
    pub fn remap(self, map: &[Sym]) -> Ref {
        match self.sym() {
            Some(s) => Ref(u64::from(map[s.index()].0)),
            None => self,
        }
    }

    /// The interned symbol, if not packed.
    fn sym(self) -> Option<Sym> {
        (self.0 & Self::PACKED == 0).then_some(Sym(self.0 as u32))
    }
}

/// The value of `s` if it is 1 to 19 ASCII digits. The digits are read eight to a word
/// (`eight_digits`), the words overlapping rather than looping: the last 8 digits, and the
/// ones before them from the 8 bytes that start `s`, shifted up past the bytes the next word
/// reads and padded with `0`s below.
pub fn digits(s: &[u8]) -> Option<u64> {
    let n = s.len();
    // `ZEROS >> (8 * k - 1) >> 1` is `ZEROS >> 8 * k`, 0 (not an overflow) for k = 8.
    let zeros_past = |k: usize| ZEROS >> (8 * k - 1) >> 1;
    let head = |k: usize| word(s) << (8 * (8 - k)) | zeros_past(k);
    let (high, low) = match n {
        1..=3 => {
            return s.iter().try_fold(0u64, |value, &b| {
                let d = b.wrapping_sub(b'0');
                (d <= 9).then(|| value * 10 + u64::from(d))
            });
        }
        // Two 4-byte reads that overlap unless `n` is 8, placed as the word's last `n` bytes.
        4..=8 => {
            let w = half(s) << (8 * (8 - n)) | half(&s[n - 4..]) << 32 | zeros_past(n);
            return eight_digits(w);
        }
        9..=16 => (eight_digits(head(n - 8))?, word(&s[n - 8..])),
        17..=19 => {
            let middle = eight_digits(word(&s[n - 16..]))?;
            (
                eight_digits(head(n - 16))? * 100_000_000 + middle,
                word(&s[n - 8..]),
            )
        }
        _ => return None,
    };
    Some(high * 100_000_000 + eight_digits(low)?)
}

/// Eight `b'0'`s in one word.
const ZEROS: u64 = u64::from_le_bytes([b'0'; 8]);

/// The first 8 bytes of `b` as a word, the first in the low byte.
fn word(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

/// The first 4 bytes of `b` as the low half of a word.
fn half(b: &[u8]) -> u64 {
    u64::from(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")))
}

/// The longest text `short_image` holds.
pub const SHORT_IMAGE_MAX: usize = 16;

/// The bytes of a text of up to 16 bytes as one integer, the first in the low byte and zeros
/// above the last (with the length, it tells any two texts apart); `None` when longer. Read in
/// two overlapping loads rather than byte by byte: the vocabulary memos and the recent-cells
/// table run it on several cells of every row.
pub fn short_image(b: &[u8]) -> Option<u128> {
    let n = b.len();
    let (low, high) = match n {
        0 => (0, 0),
        // The first, middle and last byte cover all of a text this short.
        1..=3 => (
            u64::from(b[0]) | u64::from(b[n / 2]) << (8 * (n / 2)),
            u64::from(b[n - 1]) << (8 * (n - 1)),
        ),
        4..=8 => (half(b), half(&b[n - 4..]) << (8 * (n - 4))),
        9..=SHORT_IMAGE_MAX => {
            let tail = u128::from(word(&b[n - 8..])) << (8 * (n - 8));
            return Some(u128::from(word(b)) | tail);
        }
        _ => return None,
    };
    Some(u128::from(low | high))
}

/// The value of the 8 ASCII digits in `w` (the first in the low byte), `None` if a byte is not
/// a digit. A digit's byte is `0x3_` with a low half that adding 6 leaves below `0x40`: both
/// high halves are 3 in every byte (a byte that carries into the next has failed already).
/// The digits are then summed in pairs, fours and the eight by three multiplies, none
/// carrying between the lanes.
fn eight_digits(w: u64) -> Option<u64> {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let highs = w & HIGH | (w.wrapping_add(0x0606_0606_0606_0606) & HIGH) >> 4;
    if highs != 0x3333_3333_3333_3333 {
        return None;
    }
    let v = w & 0x0F0F_0F0F_0F0F_0F0F;
    let v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((v * 10_000 + (v >> 32)) & 0xFFFF_FFFF)
}

/// `value` as exactly `out.len()` decimal digits, zero-padded.
fn write_digits(out: &mut [u8], mut value: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// An id's text: borrowed from the table, or a packed value written out. Reads as a `&str`.
#[derive(Debug, Clone, Copy)]
pub enum Name<'a> {
    Interned(&'a str),
    Packed {
        buf: [u8; Ref::MAX_PACKED_LEN],
        len: u8,
    },
}

impl Deref for Name<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Name::Interned(s) => s,
            // Only ASCII digits and `*` are ever written to `buf`.
            Name::Packed { buf, len } => {
                std::str::from_utf8(&buf[..usize::from(*len)]).expect("packed ids are ASCII")
            }
        }
    }
}

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

/// Distinct id strings, each stored once: the table holds only indexes into `names`.
#[derive(Default)]
pub struct Symbols {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    names: Vec<CompactString>,
    /// Whether a reference was interned here rather than packed (`has_interned_references`).
    interned_references: bool,
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Symbols({} names)", self.names.len())
    }
}

impl Symbols {
    pub fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hasher.hash_one(s);
        let names = &self.names;
        if let Some(&i) = self.table.find(hash, |&i| names[i as usize] == s) {
            return Sym(i);
        }
        let i = self.names.len() as u32;
        self.names.push(CompactString::new(s));
        let (names, hasher) = (&self.names, &self.hasher);
        self.table
            .insert_unique(hash, i, |&j| hasher.hash_one(names[j as usize].as_str()));
        Sym(i)
    }

    /// A reference: packed when it is digits, else interned. Inlined: the sinks run it on two
    /// or three ids of every row, and most are packed.
    #[inline]
    pub fn reference(&mut self, s: &str) -> Ref {
        Ref::pack(s.as_bytes()).unwrap_or_else(|| self.interned_reference(s))
    }

    /// A reference that is not packed: interned, and noted (`has_interned_references`).
    fn interned_reference(&mut self, s: &str) -> Ref {
        self.interned_references = true;
        Ref(u64::from(self.intern(s).0))
    }

    /// Whether a reference was interned here: else every reference read with this table is
    /// packed, and none changes in a `Ref::remap`.
    pub fn has_interned_references(&self) -> bool {
        self.interned_references
    }

    /// `reference` for an optional one.
    pub fn reference_opt(&mut self, s: Option<&str>) -> Ref {
        s.map_or(Ref::NONE, |s| self.reference(s))
    }

    pub fn reserve(&mut self, n: usize) {
        let (names, hasher) = (&self.names, &self.hasher);
        self.table
            .reserve(n, |&j| hasher.hash_one(names[j as usize].as_str()));
        self.names.reserve(n);
    }

    /// Every interned string, in symbol order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(CompactString::as_str)
    }

    /// The string behind a symbol; empty for `Sym::NONE`.
    pub fn name(&self, sym: Sym) -> &str {
        self.names
            .get(sym.0 as usize)
            .map_or("", CompactString::as_str)
    }

    pub fn opt(&self, sym: Sym) -> Option<&str> {
        (!sym.is_none()).then(|| self.name(sym))
    }

    /// The text of a reference; `None` for `Ref::NONE`.
    pub fn ref_name(&self, r: Ref) -> Option<Name<'_>> {
        let mut buf = [0; Ref::MAX_PACKED_LEN];
        if let Some(len) = r.unpack(&mut buf) {
            return Some(Name::Packed {
                buf,
                len: len as u8,
            });
        }
        r.sym().map(|s| Name::Interned(self.name(s)))
    }

    /// The text of a reference; empty for `Ref::NONE`.
    pub fn ref_text(&self, r: Ref) -> String {
        self.ref_name(r).map_or_else(String::new, |n| n.to_string())
    }

    /// For every symbol of `from`, the same string's symbol in this table (interned if new).
    pub fn absorb(&mut self, from: &Symbols) -> Vec<Sym> {
        from.names().map(|n| self.intern(n)).collect()
    }
}

/// The symbols of one repetitive field (terminal, merchant, city, batch) seen lately, in a
/// direct-mapped table of `Recent::SLOTS` slots chosen by a cheap hash of the text: a value that
/// comes back finds its symbol with one comparison, without hashing into the whole table. A
/// log interleaves its terminals, so the neighbour's value alone would mostly miss. A slot is a
/// symbol (the text is the table's), so the 1024 slots take 4 KiB: room for a few hundred
/// terminals or open batches with few of them sharing a slot.
#[derive(Debug, Clone)]
pub struct Recent {
    slots: [Sym; Recent::SLOTS],
}

impl Default for Recent {
    fn default() -> Self {
        Recent {
            slots: [Sym::NONE; Recent::SLOTS],
        }
    }
}

impl Recent {
    const SLOTS: usize = 1 << Recent::SLOT_BITS;
    const SLOT_BITS: u32 = 10;

    /// The symbol of `s` in `syms`, interned if new. A slot's symbol is used only when `syms`
    /// names it with the same text, so a slot filled from another table (the statement's ids
    /// move into the journal's) is a miss, never a wrong symbol; `syms` names a symbol it does
    /// not hold as "", so an empty id is not looked up here.
    pub fn intern(&mut self, syms: &mut Symbols, s: &str) -> Sym {
        let slot = &mut self.slots[slot_of(s.as_bytes())];
        if !s.is_empty() && !slot.is_none() && syms.name(*slot) == s {
            return *slot;
        }
        *slot = syms.intern(s);
        *slot
    }
}

/// A slot of `Recent` for `b`: a multiply of its first and last (up to) 8 bytes and its length,
/// top bits. Ids are short, and where they differ it is mostly in their last characters.
fn slot_of(b: &[u8]) -> usize {
    let word = |b: &[u8]| b.iter().fold(0u64, |w, &x| w << 8 | u64::from(x));
    let n = b.len();
    let (head, tail) = if n >= 8 {
        (
            u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
            u64::from_le_bytes(b[n - 8..].try_into().expect("8 bytes")),
        )
    } else {
        (word(b), 0)
    };
    let mixed = (head.rotate_left(29) ^ tail ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> (64 - Recent::SLOT_BITS)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_stored_once() {
        let mut s = Symbols::default();
        let a = s.intern("10054481");
        assert_eq!(s.intern("10054481"), a);
        assert_ne!(s.intern("10054482"), a);
        assert_eq!(s.name(a), "10054481");
        assert_eq!(s.name(Sym::NONE), "");
    }

    #[test]
    fn references_keep_their_text() {
        let mut s = Symbols::default();
        for text in [
            "0",
            "600528701956",
            "000123",
            "99999999999999999",
            "123456789012345678",
            "TX20261101000001",
            "4200001234202611012345678901",
            "12a",
            "",
            "١٢٣",
            "622588******1234",
            "000000*0000",
            "999999*********9999",
            "622588**********1234",
            "622588******123",
            "62258******1234",
            "622588-*****1234",
            "****1234",
            "ORD600528701987",
            "A0",
            "ZZZ999999999999",
            "ORD0000600528701987",
            "ORDE1",
            "Ord1",
            "TX20261101000001",
            "ORD",
        ] {
            let r = s.reference(text);
            assert_eq!(s.ref_name(r).as_deref(), Some(text), "{text:?}");
            assert_eq!(s.reference(text), r, "{text:?} gets one value");
        }
        assert!(s.ref_name(Ref::NONE).is_none());
        assert_eq!(s.ref_text(Ref::NONE), "");
    }

    /// `Ref::pack` as first written: each shape tried in turn, digits read one by one.
    fn pack_by_shapes(s: &[u8]) -> Option<Ref> {
        let digits = |s: &[u8]| {
            if s.is_empty() || s.len() > 19 {
                return None;
            }
            s.iter().try_fold(0u64, |value, &b| {
                let d = b.wrapping_sub(b'0');
                (d <= 9).then(|| value * 10 + u64::from(d))
            })
        };
        if s.len() <= Ref::PACKED_DIGITS
            && let Some(value) = digits(s)
        {
            return Some(Ref(Ref::PACKED
                | (s.len() as u64) << Ref::LEN_SHIFT
                | value));
        }
        let letters = s
            .iter()
            .take(3)
            .take_while(|b| b.is_ascii_uppercase())
            .count();
        let count = s.len() - letters;
        if letters > 0
            && (1..=Ref::PREFIXED_DIGITS).contains(&count)
            && let Some(value) = digits(&s[letters..])
        {
            let prefix = (s[..letters].iter()).fold(0u64, |p, &b| p * 27 + u64::from(b - b'A' + 1));
            return Some(Ref(Ref::PACKED
                | (Ref::PREFIXED + count as u64) << Ref::LEN_SHIFT
                | prefix << 40
                | value));
        }
        let stars = s.len().checked_sub(10).filter(|n| (1..=9).contains(n))?;
        if !s[6..6 + stars].iter().all(|&b| b == b'*') {
            return None;
        }
        let (first, last) = (digits(&s[..6])?, digits(&s[6 + stars..])?);
        Some(Ref(Ref::PACKED
            | Ref::CARD
            | (stars as u64) << 34
            | first << 14
            | last))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// Packing by the first byte and eight digits at a time packs exactly what trying each
        /// shape in turn did, to the same value: ids of every length up to 22 made of digits,
        /// `*`, capitals and the bytes either side of the digits' and of the capitals' ranges.
        #[test]
        fn packing_matches_the_shapes_tried_in_turn(
            text in "[0-9]{0,22}|[0-9*]{0,22}|[0-9]{6}\\*{1,10}[0-9]{3,5}|[0-9]{6}[*0-9]{1,9}[0-9]{4}|[A-Z]{0,4}[0-9]{0,14}|[0-9*A-Z/:@\\[`a]{0,22}",
        ) {
            let b = text.as_bytes();
            proptest::prop_assert_eq!(Ref::pack(b), pack_by_shapes(b), "{:?}", text);
            let want = (1..=19).contains(&b.len()).then_some(()).and_then(|_| {
                b.iter().try_fold(0u64, |v, &x| x.is_ascii_digit().then(|| v * 10 + u64::from(x - b'0')))
            });
            proptest::prop_assert_eq!(digits(b), want, "{:?}", text);
        }
    }

    #[test]
    fn digits_are_read_at_every_length_and_position() {
        for n in 1..=19 {
            let all: Vec<u8> = (0..n).map(|i| b"9876543210"[i % 10]).collect();
            let want: u64 = std::str::from_utf8(&all).unwrap().parse().unwrap();
            assert_eq!(digits(&all), Some(want), "{n}");
            for at in 0..n {
                for bad in [b'/', b':', b'*', b'a', 0x80, 0xB9, 0x00] {
                    let mut b = all.clone();
                    b[at] = bad;
                    assert_eq!(digits(&b), None, "{n} {at} {bad}");
                }
            }
        }
        assert_eq!(
            digits(b"9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(digits(b""), None);
        assert_eq!(digits(b"00000000000000000000"), None);
    }

    #[test]
    fn different_references_differ() {
        let mut s = Symbols::default();
        let texts = [
            "123",
            "0123",
            "00123",
            "1230",
            "123a",
            "99999999999999999",
            "622588******1234",
            "622588*****1234",
            "622589******1234",
            "622588******1235",
            "6225881234",
            "ORD1",
            "ORD01",
            "OR1",
            "ORE1",
            "AAA1",
            "AA1",
            "A1",
            "Z1",
            "ZZZ1",
        ];
        let refs: Vec<Ref> = texts.iter().map(|t| s.reference(t)).collect();
        for i in 0..refs.len() {
            for j in i + 1..refs.len() {
                assert_ne!(refs[i], refs[j], "{} vs {}", texts[i], texts[j]);
            }
        }
        // Only the string of no packed shape is stored.
        assert_eq!(s.names().count(), 1);
    }

    #[test]
    fn recent_values_get_their_own_symbols() {
        let (mut syms, mut recent) = (Symbols::default(), Recent::default());
        let texts: Vec<String> = (0..2000).map(|i| format!("100544{i:02}")).collect();
        for _ in 0..3 {
            for t in texts.iter().chain([&String::new(), &"a".repeat(40)]) {
                let sym = recent.intern(&mut syms, t);
                assert_eq!(syms.name(sym), t);
                assert_eq!(syms.intern(t), sym);
            }
        }
        assert_eq!(syms.names().count(), 2002);
    }

    #[test]
    fn remapping_moves_interned_references_only() {
        let mut a = Symbols::default();
        let (packed, interned) = (a.reference("42"), a.reference("ORDER-7"));
        let mut b = Symbols::default();
        b.intern("other");
        let map = b.absorb(&a);
        assert_eq!(packed.remap(&map), packed);
        let moved = interned.remap(&map);
        assert_ne!(moved, interned);
        assert_eq!(b.ref_name(moved).as_deref(), Some("ORDER-7"));
        assert_eq!(Ref::NONE.remap(&map), Ref::NONE);
    }

    #[test]
    fn recent_ids_are_the_tables_symbols() {
        let mut recent: [Recent; 3] = Default::default();
        let (mut a, mut b) = (Symbols::default(), Symbols::default());
        b.intern("other");
        // More ids than slots, so that slots are shared, seen twice, in two tables.
        let ids: Vec<String> = (0..3 * Recent::SLOTS)
            .map(|i| format!("{:06}", i * 7))
            .collect();
        for round in 0..2 {
            for (i, id) in ids.iter().enumerate() {
                let field = i % 3;
                assert_eq!(
                    recent[field].intern(&mut a, id),
                    a.intern(id),
                    "{round} {id}"
                );
                assert_eq!(
                    recent[field].intern(&mut b, id),
                    b.intern(id),
                    "{round} {id}"
                );
            }
        }
        assert!(slot_of(b"898310058120001") < Recent::SLOTS);
        // A slot filled from a bigger table holds a symbol this one does not have.
        let mut big = Symbols::default();
        let many: Vec<Sym> = (0..5000).map(|i| big.intern(&format!("m{i}"))).collect();
        let mut recent: [Recent; 3] = Default::default();
        let mut small = Symbols::default();
        for (i, &sym) in many.iter().enumerate() {
            assert_eq!(recent[2].intern(&mut big, &format!("m{i}")), sym);
        }
        for field in &mut recent {
            assert_eq!(field.intern(&mut small, ""), small.intern(""));
        }
    }
}
