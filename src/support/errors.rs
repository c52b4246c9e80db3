//! An error with its whole `source()` chain on one line, for logs ("a: b: c"). The one copy
//! is the lockout crate's, which the pool's trigger logs with too.

pub use gatehouse_lockout::error_chain;
