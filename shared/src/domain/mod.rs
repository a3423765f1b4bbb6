//! The domain: what a citizen service request is and the rules it lives by. Imports nothing
//! outside itself but plain-data crates (no AWS, no Lambda, no I/O).

pub mod address;
pub mod answers;
pub mod api_key;
pub mod banner;
pub mod canned;
pub mod catalog;
pub mod contact;
pub mod conversation;
pub mod dashboard;
pub mod description;
pub mod events;
pub mod fix_check;
pub mod follower;
pub mod form_token;
pub mod geo;
pub mod id;
pub mod intake;
pub mod lifecycle;
pub mod listing;
pub mod location;
pub mod map;
pub mod nearby;
pub mod notice;
pub mod photo;
pub mod privacy;
pub mod rate;
pub mod redaction;
pub mod routing;
pub mod sla;
pub mod staff;
pub mod stats;
pub mod status;
pub mod summary;
pub mod ticket;
pub mod zone;
