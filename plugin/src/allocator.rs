//! The component's allocator: an arena for each call.
//!
//! A call allocates for every string the host lowers into it and every record it
//! decodes, and all of it is garbage once the call has returned. So memory is handed out
//! by moving a pointer, is never freed one block at a time, and the whole arena starts
//! over when the next call begins. Freeing costs nothing, so the compiler drops the code
//! that walks a value only to free it: with a general allocator (Talc before), calls ran
//! up to 40% more wasm instructions searching and splitting free lists, and the freeing
//! code was 8 KiB of the component. The last block grows in place, so a growing `Vec` does not
//! leave its old buffers behind.
//!
//! When a call begins. Every export runs its core through one `run` in `glue.rs`, which
//! tells the arena when it begins and when it has finished. The host places a call's
//! arguments (through `cabi_realloc`) before the export runs, and after the previous
//! call's post-return: the canonical ABI enters an instance again only after that. So
//! the first `cabi_realloc` after a finished call, or the next `run` if the host placed
//! nothing, starts the arena over, and nothing of the finished call is alive then. The
//! host may keep one instance for many calls: memory does not accumulate. A call's
//! memory is its stack, its static data and what it allocates; the benchmarks report
//! the largest (under 3 MiB in an overview of 10 000 meetings, of the 64 MiB a call may
//! use).
//!
//! [`Arena`] is the bookkeeping, over addresses only, so that it is tested natively; the
//! global allocator on `wasm32` drives it with `memory.grow`.

use core::alloc::Layout;

/// Where the next allocation goes.
#[derive(Debug, Default)]
pub struct Arena {
    /// Start of the region: where a new call starts allocating.
    start: usize,
    /// The next free address.
    next: usize,
    /// End of the memory the region may use.
    end: usize,
    /// The last call has finished: the next one starts the region over.
    finished: bool,
}

/// Fresh memory for the region: `grow(bytes)` adds at least `bytes` and answers the
/// address where the added memory begins and where it ends, or `None` when the memory
/// may not grow.
pub trait Grow {
    fn grow(&mut self, bytes: usize) -> Option<(usize, usize)>;
}

impl Arena {
    /// A region over `start..end`, nothing allocated.
    pub const fn new(start: usize, end: usize) -> Self {
        Arena { start, next: start, end, finished: false }
    }

    /// A call begins: if the last one has finished, everything it allocated is garbage.
    pub fn call_begins(&mut self) {
        if self.finished {
            self.finished = false;
            self.next = self.start;
        }
    }

    /// The running call has finished; its answer stays valid until the next call begins.
    pub fn call_finished(&mut self) {
        self.finished = true;
    }

    /// The address of a new block for `layout`, or `None` when memory is exhausted
    /// (the arena is then as it was, though memory it grew in vain stays grown).
    pub fn alloc(&mut self, layout: Layout, memory: &mut impl Grow) -> Option<usize> {
        let mut at = align_up(self.next, layout.align())?;
        let mut block_end = at.checked_add(layout.size())?;
        if block_end > self.end {
            let (added, added_end) = memory.grow(block_end - self.end)?;
            if added != self.end {
                // Someone else grew the memory meanwhile: the region moves to the new
                // memory, and what it had before is not reused.
                at = align_up(added, layout.align())?;
                block_end = at.checked_add(layout.size())?;
                if block_end > added_end {
                    return None;
                }
                self.start = added;
            }
            self.end = added_end;
        }
        self.next = block_end;
        Some(at)
    }

    /// Resizes the block at `at` where it stands, when it is the last block and the
    /// region has (or can grow) the room. Answers whether it did; if not, nothing changed.
    pub fn resize_in_place(
        &mut self,
        at: usize,
        layout: Layout,
        new_size: usize,
        memory: &mut impl Grow,
    ) -> bool {
        if at + layout.size() != self.next {
            return false;
        }
        let Some(block_end) = at.checked_add(new_size) else { return false };
        if block_end > self.end {
            match memory.grow(block_end - self.end) {
                Some((added, added_end)) if added == self.end => self.end = added_end,
                // Memory that does not follow the region cannot extend the block; it
                // stays unused.
                _ => return false,
            }
        }
        self.next = block_end;
        true
    }
}

fn align_up(address: usize, align: usize) -> Option<usize> {
    Some(address.checked_add(align - 1)? & !(align - 1))
}

#[cfg(target_arch = "wasm32")]
pub use wasm::{call_begins, call_finished};

#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::{Arena, Grow};
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;
    use core::ptr;

    const PAGE: usize = 65_536;

    unsafe extern "C" {
        /// The first address after the data and the stack, placed by the linker.
        static __heap_base: u8;
    }

    /// The linear memory, grown by the pages asked for and no more: the host resets
    /// every page a call's memory reached before it serves the next call.
    struct LinearMemory;

    impl Grow for LinearMemory {
        fn grow(&mut self, bytes: usize) -> Option<(usize, usize)> {
            let pages = bytes.div_ceil(PAGE);
            let old = core::arch::wasm32::memory_grow(0, pages);
            if old == usize::MAX {
                return None;
            }
            Some((old * PAGE, old.checked_add(pages)?.checked_mul(PAGE)?))
        }
    }

    pub struct Allocator(UnsafeCell<Option<Arena>>);

    /// The component's global allocator.
    #[global_allocator]
    static ALLOCATOR: Allocator = Allocator(UnsafeCell::new(None));

    impl Allocator {
        #[allow(clippy::mut_from_ref)]
        fn arena(&self) -> &mut Arena {
            // SAFETY: the component is single-threaded (wasm32-wasip2 has no threads), and
            // no reference escapes one call of this module.
            let state = unsafe { &mut *self.0.get() };
            state.get_or_insert_with(|| {
                // The first region: from the heap's base to the memory's initial end.
                let start = &raw const __heap_base as usize;
                Arena::new(start, core::arch::wasm32::memory_size(0) * PAGE)
            })
        }
    }

    // SAFETY: see `arena`: there is one thread.
    unsafe impl Sync for Allocator {}

    /// See [`Arena::call_begins`].
    pub fn call_begins() {
        ALLOCATOR.arena().call_begins();
    }

    /// See [`Arena::call_finished`].
    pub fn call_finished() {
        ALLOCATOR.arena().call_finished();
    }

    unsafe impl GlobalAlloc for Allocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            match self.arena().alloc(layout, &mut LinearMemory) {
                Some(at) => at as *mut u8,
                None => ptr::null_mut(),
            }
        }

        /// Nothing to do: the arena starts over with the next call.
        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}

        unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // A block that shrinks stays where it is (freeing costs nothing anyway).
            if new_size <= layout.size()
                || self.arena().resize_in_place(block as usize, layout, new_size, &mut LinearMemory)
            {
                return block;
            }
            // SAFETY: the caller guarantees a valid layout of `new_size` with this
            // alignment, as `GlobalAlloc::realloc` requires.
            let moved = unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, layout.align())) };
            if !moved.is_null() {
                // SAFETY: both blocks are live and distinct; the copy is as long as the
                // shorter of the two.
                unsafe { ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size)) };
            }
            moved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Memory that grows in whole 64 KiB pages up to a limit, and that another user may
    /// have grown in between.
    struct Pages {
        end: usize,
        limit: usize,
        grown: usize,
    }

    impl Grow for Pages {
        fn grow(&mut self, bytes: usize) -> Option<(usize, usize)> {
            let added = bytes.div_ceil(65_536) * 65_536;
            (self.end + added <= self.limit).then(|| {
                let start = self.end;
                self.end += added;
                self.grown += 1;
                (start, self.end)
            })
        }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    fn memory(end: usize) -> Pages {
        Pages { end, limit: 1 << 20, grown: 0 }
    }

    #[test]
    fn blocks_are_aligned_and_do_not_overlap() {
        let mut mem = memory(4096);
        let mut arena = Arena::new(1001, 4096);
        let a = arena.alloc(layout(3, 1), &mut mem).unwrap();
        let b = arena.alloc(layout(16, 8), &mut mem).unwrap();
        let c = arena.alloc(layout(1, 4), &mut mem).unwrap();
        assert_eq!(a, 1001);
        assert_eq!(b, 1008, "aligned past the three bytes of the first");
        assert_eq!(c, 1024);
        assert_eq!(mem.grown, 0, "all fit in the initial memory");
    }

    #[test]
    fn the_arena_starts_over_only_when_a_call_begins_after_one_finished() {
        let mut mem = memory(4096);
        let mut arena = Arena::new(1024, 4096);
        arena.call_begins();
        let argument = arena.alloc(layout(100, 4), &mut mem).unwrap();
        arena.call_begins(); // the export runs, after the host placed its argument
        let inside = arena.alloc(layout(100, 4), &mut mem).unwrap();
        assert!(inside >= argument + 100, "the argument of a running call is kept");
        arena.call_finished();
        let answer = arena.alloc(layout(40, 4), &mut mem).unwrap();
        assert!(answer >= inside + 100, "the answer is written after the call's own blocks");
        arena.call_begins(); // the next call: the host places its argument
        assert_eq!(arena.alloc(layout(10, 4), &mut mem), Some(1024), "the next call starts over");
        arena.call_begins();
        assert_eq!(arena.alloc(layout(10, 4), &mut mem), Some(1036), "and keeps its own argument");
    }

    #[test]
    fn the_last_block_is_resized_in_place() {
        let mut mem = memory(4096);
        let mut arena = Arena::new(1024, 4096);
        let first = arena.alloc(layout(8, 8), &mut mem).unwrap();
        let last = arena.alloc(layout(8, 8), &mut mem).unwrap();
        assert!(arena.resize_in_place(last, layout(8, 8), 64, &mut mem));
        assert!(!arena.resize_in_place(first, layout(8, 8), 64, &mut mem), "an earlier block cannot grow");
        assert_eq!(
            arena.alloc(layout(8, 8), &mut mem),
            Some(last + 64),
            "the next block follows the grown one"
        );
    }

    #[test]
    fn memory_grows_when_the_region_is_full_and_a_refusal_changes_nothing() {
        let mut mem = memory(65_536);
        let mut arena = Arena::new(60_000, 65_536);
        let a = arena.alloc(layout(10_000, 8), &mut mem).unwrap();
        assert_eq!((a, mem.grown), (60_000, 1), "the block runs on into the added page");
        assert!(
            arena.resize_in_place(a, layout(10_000, 8), 200_000, &mut mem),
            "the last block grows with the memory"
        );
        assert_eq!(arena.alloc(layout(1 << 20, 8), &mut mem), None, "past the limit");
        let b = arena.alloc(layout(8, 8), &mut mem).unwrap();
        assert_eq!(b, 260_000, "the refusal left the region as it was");
    }

    #[test]
    fn memory_grown_by_someone_else_is_not_overlapped() {
        let mut mem = memory(65_536);
        let mut arena = Arena::new(60_000, 65_536);
        mem.end = 3 * 65_536; // another user took two pages
        let a = arena.alloc(layout(10_000, 8), &mut mem).unwrap();
        assert_eq!(a, 3 * 65_536, "the region moved to the new memory");
        arena.call_finished();
        arena.call_begins();
        assert_eq!(arena.alloc(layout(8, 8), &mut mem), Some(a), "and starts over there");
        mem.end += 65_536;
        assert!(
            !arena.resize_in_place(a, layout(8, 8), 70_000, &mut mem),
            "a block cannot run into memory that does not follow the region"
        );
    }
}
