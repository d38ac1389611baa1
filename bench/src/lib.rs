//! What the bench binaries share: the servers they measure, the external load generator,
//! and the results they hand to `report`.

/// The allocator local-dev serves with (local-dev/src/main.rs): the servers these binaries
/// measure run in their own process, and should allocate as local-dev does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod generated;
pub mod results;
pub mod servers;
pub mod write_path;
pub mod wrk;

/// Each load phase runs in this many slices, alternating with its floor (the bare route,
/// single durable commits); the slice with the median ratio is the phase's figure.
pub const SLICES: usize = 5;
