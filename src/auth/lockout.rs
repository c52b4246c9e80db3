//! The lockout policy, shared with the user pool's pre-/post-authentication trigger: one copy
//! in the workspace crate `gatehouse-lockout` (`crates/lockout`), re-exported here. Read its
//! crate documentation for the design (admit, then ask; clock-aligned windows; the sparse
//! index of locked names).

pub use gatehouse_lockout::*;
