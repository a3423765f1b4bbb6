//! Use cases that combine ports: what more than one function (or a tool) does the same way.

pub mod addresses;
pub mod canned;
pub mod history;
pub mod map;
pub mod nearby;
pub mod rate;
pub mod routing;
pub mod seed;
