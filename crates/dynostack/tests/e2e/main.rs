//! End-to-end tests: the real binary, driven by aws-sdk-rust.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod batch;
mod durability;
mod items;
mod partiql;
mod query;
mod sigv4;
mod streams;
mod tables;
mod transactions;
