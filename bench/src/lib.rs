//! What the bench binaries share: the servers they measure, the external load generator,
//! and the results they hand to `report`.

/// The allocator local-dev serves with (local-dev/src/main.rs): the servers these binaries
/// measure run in their own process, and should allocate as local-dev does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod generated;
pub mod results;
pub mod servers;
pub mod wrk;
