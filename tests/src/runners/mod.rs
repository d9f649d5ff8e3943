//! Long runs built on the harness and the inspection helpers, each with a binary in `src/bin/`.
//! The benchmark's modules live in `src/bench/` and compile into `src/bin/bench.rs` only.

pub mod acceptance;
pub mod reliability;
