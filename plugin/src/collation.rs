//! The order of names and other text that people read in a listing: letters compare
//! without their case or the accents of Latin letters, so "émile" sorts with "Emile" and
//! before "Zoë", and "Łukasz" with the other l's rather than after z.
//!
//! Latin letters with diacritics (Latin-1, Latin Extended-A, and the Romanian comma
//! letters) fold to their base letter, a ligature to its first letter; Cyrillic and
//! Greek capitals fold to their small letters, Greek letters lose tonos and dialytika,
//! and Cyrillic ё becomes е; other characters
//! compare as they are. A collation crate would do more (ICU's, or Unicode's
//! decomposition tables), for tens of kilobytes in a component whose size is counted;
//! this table is 192 bytes. Texts that fold alike compare equal: the listing orders them
//! by date next.
//!
//! A listing of 10 000 meetings sorted by a text compares a row's text with the page's
//! last for every row, so [`SortText`] keeps the first sixteen bytes of each folded into
//! two words: the common case (ASCII, different or the same within them) then costs two
//! word comparisons.

use core::cmp::Ordering;

/// Compares two UTF-8 texts as a person would sort them (see the module).
pub(crate) fn compare(a: &[u8], b: &[u8]) -> Ordering {
    // ASCII bytes compare folded as they stand; at the first other byte both texts are
    // at a character boundary (an ASCII byte is never part of a longer character), and
    // the rest is compared character by character.
    let mut i = 0;
    loop {
        match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) if x.is_ascii() && y.is_ascii() => {
                match x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()) {
                    Ordering::Equal => i += 1,
                    other => return other,
                }
            }
            (Some(_), Some(_)) => return folded(&a[i..]).cmp(folded(&b[i..])),
            (x, y) => return x.is_some().cmp(&y.is_some()),
        }
    }
}

/// A text with its first sixteen bytes ready to compare, computed once per row: a
/// listing sorted by a text compares one row's with another's for every row, and most
/// differ, or are the same, within sixteen bytes.
#[derive(Clone, Copy)]
pub(crate) struct SortText<'a> {
    text: &'a [u8],
    /// The first sixteen bytes lowercased, padded with zeros, as two little-endian
    /// words; [`NOT_ASCII`] when they are not all ASCII (the text is then compared
    /// whole). Lowercased ASCII never has a byte's high bit set.
    head: [u64; 2],
}

impl<'a> SortText<'a> {
    #[inline(always)]
    pub(crate) fn new(text: &'a [u8]) -> Self {
        let bytes = match text.first_chunk::<16>() {
            Some(first) => *first,
            None => {
                let mut bytes = [0u8; 16];
                bytes[..text.len()].copy_from_slice(text);
                bytes
            }
        };
        let word = u128::from_le_bytes(bytes);
        let (low, high) = (word as u64, (word >> 64) as u64);
        let head = if (low | high) & HIGH_BITS == 0 {
            [ascii_lowercase(low), ascii_lowercase(high)]
        } else {
            NOT_ASCII
        };
        SortText { text, head }
    }

    /// The same order as [`compare`] of the texts.
    #[inline(always)]
    pub(crate) fn cmp(&self, other: &Self) -> Ordering {
        let ([a0, a1], [b0, b1]) = (self.head, other.head);
        if (a0 | b0) & HIGH_BITS != 0 {
            return compare(self.text, other.text);
        }
        if a0 != b0 {
            return first_difference(a0, b0);
        }
        if a1 != b1 {
            return first_difference(a1, b1);
        }
        match (self.text.get(16..), other.text.get(16..)) {
            (Some(x), Some(y)) => compare(x, y),
            // A text that ends within its head was padded with zeros.
            _ => self.text.len().cmp(&other.text.len()),
        }
    }
}

impl SortText<'_> {
    /// The first eight bytes, folded, as a number in the texts' order (when they are
    /// ASCII): two texts whose numbers differ compare as the numbers do.
    #[inline(always)]
    pub(crate) fn leading(&self) -> Option<u64> {
        (self.head[0] & HIGH_BITS == 0).then(|| u64::from_be_bytes(self.head[0].to_le_bytes()))
    }
}

const NOT_ASCII: [u64; 2] = [HIGH_BITS; 2];

/// The order of two different little-endian words as texts: by their first (lowest)
/// differing byte.
#[inline(always)]
fn first_difference(a: u64, b: u64) -> Ordering {
    let shift = (a ^ b).trailing_zeros() / 8 * 8;
    ((a >> shift) as u8).cmp(&((b >> shift) as u8))
}

const LOW_BITS: u64 = u64::from_ne_bytes([1; 8]);
const HIGH_BITS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Lowercases eight ASCII bytes at once: a byte from `A` to `Z` gains 0x20. Adding to
/// bytes below 0x80 never carries into the next byte.
#[inline(always)]
fn ascii_lowercase(word: u64) -> u64 {
    let from_a = word + LOW_BITS * u64::from(0x80 - b'A');
    let past_z = word + LOW_BITS * u64::from(0x80 - b'Z' - 1);
    let upper = from_a & !past_z & HIGH_BITS;
    word | (upper >> 2)
}

/// The characters of `text` as compared: folded, as code points. Bytes that are not
/// UTF-8 (the index holds only strings, so none) compare as themselves.
pub(crate) fn folded(text: &[u8]) -> impl Iterator<Item = u32> + '_ {
    text.utf8_chunks().flat_map(|chunk| {
        chunk.valid().chars().map(fold).chain(chunk.invalid().iter().map(|&b| u32::from(b)))
    })
}

/// The base letter of each character from U+00C0 to U+017F, `.` where the character
/// stays as it is (× and ÷).
const LATIN: &[u8; 192] = b"aaaaaaaceeeeiiii\
dnooooo.ouuuuyts\
aaaaaaaceeeeiiii\
dnooooo.ouuuuyty\
aaaaaaccccccccdd\
ddeeeeeeeeeegggg\
gggghhhhiiiiiiii\
iiiijjkkklllllll\
lllnnnnnnnnnoooo\
oooorrrrrrssssss\
ssttttttuuuuuuuu\
uuuuwwyyyzzzzzzs";

fn fold(c: char) -> u32 {
    let code = u32::from(c);
    match code {
        0..=0x7f => u32::from((code as u8).to_ascii_lowercase()),
        0xc0..=0x17f => match LATIN[(code - 0xc0) as usize] {
            b'.' => code,
            base => u32::from(base),
        },
        // Ș ș Ț ț, Romanian.
        0x218 | 0x219 => u32::from(b's'),
        0x21a | 0x21b => u32::from(b't'),
        // Cyrillic: Ѐ ѐ Ё ё are е with marks; Ђ..Џ and А..Я, and Greek Α..Ω, fold to
        // their small letters.
        0x400 | 0x401 | 0x450 | 0x451 => 0x435,
        // Greek letters with tonos or dialytika, and final sigma: their base small letter.
        0x386 | 0x3ac => 0x3b1,
        0x388 | 0x3ad => 0x3b5,
        0x389 | 0x3ae => 0x3b7,
        0x38a | 0x390 | 0x3aa | 0x3af | 0x3ca => 0x3b9,
        0x38c | 0x3cc => 0x3bf,
        0x38e | 0x3ab | 0x3b0 | 0x3cb | 0x3cd => 0x3c5,
        0x38f | 0x3ce => 0x3c9,
        0x3c2 => 0x3c3,
        0x402..=0x40f => code + 0x50,
        0x410..=0x42f | 0x391..=0x3a9 => code + 0x20,
        _ => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        out.sort_by(|a, b| compare(a.as_bytes(), b.as_bytes()));
        out
    }

    #[test]
    fn accents_and_case_do_not_count() {
        assert_eq!(
            sorted(&[
                "Zoë",
                "émile",
                "Bogdan",
                "Łukasz",
                "anna",
                "Ærø",
                "Şule",
                "Ștefan",
                "Ødegaard",
                "Ñuñez",
                "Lars"
            ]),
            [
                "anna",
                "Ærø",
                "Bogdan",
                "émile",
                "Lars",
                "Łukasz",
                "Ñuñez",
                "Ødegaard",
                "Ștefan",
                "Şule",
                "Zoë"
            ]
        );
        assert_eq!(compare("Émile".as_bytes(), "emile".as_bytes()), Ordering::Equal);
        assert_eq!(compare(b"Anna", b"anna"), Ordering::Equal);
    }

    #[test]
    fn cyrillic_and_greek_fold_their_case_and_follow_latin() {
        assert_eq!(
            sorted(&["Иван", "борис", "Zoë", "Ёлка", "Ω", "α"]),
            ["Zoë", "α", "Ω", "борис", "Ёлка", "Иван"]
        );
        assert_eq!(compare("ИВАН".as_bytes(), "иван".as_bytes()), Ordering::Equal);
        assert_eq!(compare("Άννα".as_bytes(), "αννα".as_bytes()), Ordering::Equal);
        assert_eq!(sorted(&["Ελένη", "Ελαία", "Όλγα", "Νίκος"]), ["Ελαία", "Ελένη", "Νίκος", "Όλγα"]);
        assert_eq!(compare("Σοφίας".as_bytes(), "ΣΟΦΙΑΣ".as_bytes()), Ordering::Equal, "final sigma");
    }

    #[test]
    fn sort_texts_order_as_the_comparison_does() {
        let texts = [
            "",
            "a",
            "A",
            "ab",
            "a\u{0}",
            "abcdefgh",
            "ABCDEFGH",
            "abcdefghi",
            "abcdefgh\u{e9}",
            "abcdefgÉ",
            "Émile",
            "emil",
            "Meeting 12",
            "meeting 123",
            "Meeting 13",
            "MEETING 1234567890",
            "meeting 1234567891",
            "sixteen letters!",
            "Sixteen letters!?",
            "sixteen letterś",
            "sixteen letters\u{0}",
            "@AZ[`az{",
            "@az[`az{",
            "@az[`az|",
            "Zoë",
            "zoe",
            "Иван",
            "Яна",
            "Intake",
            "intake",
            "Intake ",
        ];
        for a in texts {
            for b in texts {
                let (sa, sb) = (SortText::new(a.as_bytes()), SortText::new(b.as_bytes()));
                assert_eq!(sa.cmp(&sb), compare(a.as_bytes(), b.as_bytes()), "{a:?} against {b:?}");
                if let (Some(x), Some(y)) = (sa.leading(), sb.leading())
                    && x != y
                {
                    assert_eq!(x.cmp(&y), sa.cmp(&sb), "{a:?} against {b:?}: the leading numbers decide");
                }
            }
        }
    }

    #[test]
    fn the_ascii_prefix_decides_when_it_differs_and_shorter_comes_first() {
        assert_eq!(compare(b"abc", b"abd"), Ordering::Less);
        assert_eq!(compare(b"ab", "abé".as_bytes()), Ordering::Less);
        assert_eq!(compare("abé".as_bytes(), b"abf"), Ordering::Less);
        assert_eq!(compare(b"", b""), Ordering::Equal);
        assert_eq!(compare(b"x\xff", b"x\xfe"), Ordering::Greater, "stray bytes compare as bytes");
    }
}
