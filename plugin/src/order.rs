//! Sorting with one copy of the sort in the component.
//!
//! `slice::sort*` is generic: each sorted element type (and each comparator) carries its
//! own few kilobytes of sorting code. The core sorts few and short lists, so it sorts
//! positions instead, with the comparison behind a reference: one instantiation serves
//! every list, and only the small reordering is generic.

use crate::prelude::*;
use core::cmp::Ordering;

/// The positions of `len` items in the order `cmp` gives them (ties: earlier first).
fn positions(len: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<u32> {
    let mut at: Vec<u32> = (0..len as u32).collect();
    at.sort_unstable_by(|&a, &b| cmp(a as usize, b as usize).then(a.cmp(&b)));
    at
}

/// `items` sorted by `cmp`. Items already in order cost one comparison each.
pub fn sorted_by<T>(items: Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) -> Vec<T> {
    if items.is_sorted_by(|a, b| cmp(a, b).is_le()) {
        return items;
    }
    let order = positions(items.len(), &|a, b| cmp(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i as usize].take()).collect()
}

/// Inserts `value` into the sorted list `set` unless it is there already; says whether
/// it was new. A set without the code size of a B-tree.
pub fn insert_new<T: Ord>(set: &mut Vec<T>, value: T) -> bool {
    match set.binary_search(&value) {
        Ok(_) => false,
        Err(at) => {
            set.insert(at, value);
            true
        }
    }
}

/// `items` sorted, each value once.
pub fn sorted_unique<T: Ord>(items: Vec<T>) -> Vec<T> {
    let mut out = sorted_by(items, T::cmp);
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_sort_and_keeps_ties_in_order() {
        let items: Vec<(u8, u32)> = (0..200u32).map(|i| ((i * 37 % 11) as u8, i)).collect();
        let by_key = sorted_by(items.clone(), |a, b| a.0.cmp(&b.0));
        let mut expected = items;
        expected.sort_by_key(|p| p.0);
        assert_eq!(by_key, expected);
    }

    #[test]
    fn ordered_and_reversed_input_both_come_back_in_order() {
        let items: Vec<u32> = (0..50).collect();
        assert_eq!(sorted_by(items.clone(), u32::cmp), items);
        assert_eq!(sorted_by(items.iter().rev().copied().collect(), u32::cmp), items);
    }

    #[test]
    fn insert_new_keeps_the_set_sorted_and_refuses_repeats() {
        let mut set = Vec::new();
        assert!(insert_new(&mut set, "b") && insert_new(&mut set, "a") && insert_new(&mut set, "c"));
        assert!(!insert_new(&mut set, "a"));
        assert_eq!(set, ["a", "b", "c"]);
    }

    #[test]
    fn unique_drops_repeats() {
        let words = ["b", "a", "c", "a", "b"].map(String::from).to_vec();
        assert_eq!(sorted_unique(words), ["a", "b", "c"]);
        assert!(sorted_unique(Vec::<i64>::new()).is_empty());
    }
}
