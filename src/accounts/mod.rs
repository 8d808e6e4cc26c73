//! Account use cases: resolve the outside facts a command needs, then execute it.

pub mod register;
