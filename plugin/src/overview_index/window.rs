//! Which rows of a listing make its page: each row's sort key, and the window of a page
//! deep in a long listing, selected in time linear in the rows.

use crate::collation;
use crate::model::Instant;
use crate::prelude::*;
use core::cmp::Ordering;

/// Pages that end within this many rows keep only their best rows as the rows stream
/// past; deeper ones keep every row's key and select their window.
pub(super) const NEAR_TOP: usize = 100;

/// The rows ranked `skip..skip + take` among `keys`, in order: selected in time linear in
/// the number of rows (keeping the best rows in order as they stream past costs a deep
/// page, one of hundreds, the depth on every row).
pub(super) fn window<'a>(
    keys: Vec<Key<'a>>,
    skip: usize,
    take: usize,
    descending: bool,
    order: impl Fn(&Key<'a>, &Key<'a>) -> Ordering,
) -> Vec<Key<'a>> {
    if skip >= keys.len() || take == 0 {
        return Vec::new();
    }
    // Narrowed while that leaves fewer rows: a few rounds even when the rows bunch up.
    // (The window stays within the rows kept, so `skip` stays below their number.)
    let (mut keys, mut skip) = (keys, skip);
    while keys.len() > NARROW_DOWN_TO {
        let rows = keys.len();
        (keys, skip) = narrowed(keys, skip, take, descending);
        if keys.len() == rows {
            break;
        }
    }
    // Selected: each row's leading number and its position, so that most comparisons
    // are of two numbers; where the numbers are equal (or there is none) the full order
    // decides.
    let mut rows: Vec<(Option<u64>, u32)> =
        keys.iter().enumerate().map(|(i, k)| (k.primary.leading(), i as u32)).collect();
    let by = |a: &(Option<u64>, u32), b: &(Option<u64>, u32)| match (a.0, b.0) {
        (Some(x), Some(y)) if x != y => {
            if descending {
                y.cmp(&x)
            } else {
                x.cmp(&y)
            }
        }
        _ => order(&keys[a.1 as usize], &keys[b.1 as usize]),
    };
    if skip > 0 {
        rows.select_nth_unstable_by(skip, by);
    }
    let mut page = rows.split_off(skip);
    if page.len() > take {
        page.select_nth_unstable_by(take, by);
        page.truncate(take);
    }
    crate::order::sorted_by(page, by).into_iter().map(|(_, i)| keys[i as usize]).collect()
}

/// When every row has a leading number, the rows whose numbers fall in the same buckets
/// as those of the window's first and last rows, and how many rows come before them: the
/// window is among them. Counting rows into buckets costs a few instructions per row;
/// selecting rows (even by number) costs the component ten times that.
fn narrowed<'a>(keys: Vec<Key<'a>>, skip: usize, take: usize, descending: bool) -> (Vec<Key<'a>>, usize) {
    let mut leads = Vec::with_capacity(keys.len());
    for key in &keys {
        let Some(lead) = key.primary.leading() else { return (keys, skip) };
        leads.push(if descending { !lead } else { lead });
    }
    let (min, max) = leads.iter().fold((u64::MAX, 0), |(min, max), &x| (min.min(x), max.max(x)));
    // Buckets of equal width over the leads' range, about as many as there are rows.
    let buckets = keys.len().next_power_of_two().min(MAX_BUCKETS);
    let shift = (u64::BITS - (max - min).leading_zeros()).saturating_sub(buckets.ilog2());
    let bucket = |lead: u64| ((lead - min) >> shift) as usize;
    let mut counts = vec![0u32; buckets];
    for &lead in &leads {
        counts[bucket(lead)] += 1;
    }
    let last = (skip + take).min(keys.len()) - 1;
    let (mut first_bucket, mut last_bucket, mut before, mut seen) = (None, 0, 0, 0);
    for (b, &count) in counts.iter().enumerate() {
        let count = count as usize;
        if first_bucket.is_none() && seen + count > skip {
            first_bucket = Some(b);
            before = seen;
        }
        seen += count;
        if seen > last {
            last_bucket = b;
            break;
        }
    }
    let first_bucket = first_bucket.unwrap_or(0);
    let mut within = Vec::new();
    for (key, lead) in keys.into_iter().zip(leads) {
        if (first_bucket..=last_bucket).contains(&bucket(lead)) {
            within.push(key);
        }
    }
    (within, skip - before)
}

/// Rows [`window`] selects from without narrowing them down first.
const NARROW_DOWN_TO: usize = 64;

/// The most buckets [`narrowed`] counts rows into.
const MAX_BUCKETS: usize = 1024;

impl Primary<'_> {
    /// A number in the order of the primaries (ascending), where two that differ in it
    /// compare as it does: a number's value, or a text's first eight bytes.
    #[inline(always)]
    fn leading(&self) -> Option<u64> {
        match self {
            Primary::Number(n) => Some((*n as u64) ^ (1 << 63)),
            Primary::Text(text) => text.leading(),
            Primary::Exact(bytes) => {
                let mut first = [0u8; 8];
                let n = bytes.len().min(8);
                first[..n].copy_from_slice(&bytes[..n]);
                Some(u64::from_be_bytes(first))
            }
        }
    }
}

#[inline(always)]
pub(super) fn text(bytes: &[u8]) -> Primary<'_> {
    Primary::Text(collation::SortText::new(bytes))
}

/// What a row is sorted by.
#[derive(Clone, Copy)]
pub(super) enum Primary<'a> {
    Number(i64),
    /// Text as people sort it (`collation.rs`).
    Text(collation::SortText<'a>),
    /// Text compared exactly (keys).
    Exact(&'a [u8]),
}

#[derive(Clone, Copy)]
pub(super) struct Key<'a> {
    pub primary: Primary<'a>,
    pub date: Instant,
    pub id: &'a [u8],
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The listing's order for keys of numbers: by number, then the latest first, then by
    /// id (as `page_once` orders them).
    fn order(descending: bool) -> impl Fn(&Key<'_>, &Key<'_>) -> Ordering {
        move |a, b| {
            let (Primary::Number(x), Primary::Number(y)) = (a.primary, b.primary) else {
                unreachable!("numbers only")
            };
            let by = if descending { y.cmp(&x) } else { x.cmp(&y) };
            by.then(b.date.cmp(&a.date)).then_with(|| a.id.cmp(b.id))
        }
    }

    /// Every window is the one a full sort gives: whether the rows all tie, spread over
    /// the whole range of 64 bits, bunch up around a few values with outliers, or spread
    /// evenly; in both directions; at every depth (so at bucket boundaries), at the end,
    /// past it, and for pages of one row or none.
    #[test]
    fn windows_match_a_full_sort() {
        let ids: Vec<String> = (0..700).map(|i| format!("m{i:04}")).collect();
        type Spread = (&'static str, fn(usize) -> i64);
        let spreads: [Spread; 4] = [
            ("all equal", |_| 7),
            ("all 64 bits", |i| if i % 2 == 0 { i64::MIN + i as i64 } else { i64::MAX - i as i64 }),
            ("bunched", |i| (i % 7) as i64 * 3_600_000 + if i % 100 == 0 { 1 << 40 } else { 0 }),
            ("spread", |i| ((i * 7919) % 1000) as i64),
        ];
        for (what, number) in spreads {
            for descending in [false, true] {
                let keys: Vec<Key<'_>> = ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| Key {
                        primary: Primary::Number(number(i)),
                        date: (i % 5) as i64,
                        id: id.as_bytes(),
                    })
                    .collect();
                let order = order(descending);
                let mut sorted = keys.clone();
                sorted.sort_by(&order);
                let pages = (0..700).step_by(7).map(|skip| (skip, 20));
                for (skip, take) in
                    pages.chain([(99, 1), (680, 20), (699, 20), (690, 50), (700, 20), (300, 0)])
                {
                    let got: Vec<&[u8]> =
                        window(keys.clone(), skip, take, descending, &order).iter().map(|k| k.id).collect();
                    let want: Vec<&[u8]> = sorted.iter().skip(skip).take(take).map(|k| k.id).collect();
                    assert_eq!(got, want, "{what}, descending={descending}, skip={skip}, take={take}");
                }
            }
        }
    }
}
