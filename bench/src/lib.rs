//! What the bench binaries share: the servers they measure, the external load generator,
//! and the results they hand to `report`.

pub mod generated;
pub mod results;
pub mod servers;
pub mod wrk;
