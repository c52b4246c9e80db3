//! The clock every time-dependent part reads: seconds since the Unix epoch, injectable so
//! tests can move time. One type with the lockout crate's (the trigger reads the same one).

pub use gatehouse_lockout::{system_clock, Clock};
