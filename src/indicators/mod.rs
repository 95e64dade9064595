//! Indicators for the Directive 28 participation targets: definitions, tallies, statistics
//! and their renderings (table, CSV, HTML). Pure: the caller feeds interviews in.

pub mod compute;
pub mod def;
mod finish;
pub mod plan;
pub mod render;
pub mod stats;
pub mod tables;
pub mod tallies;
