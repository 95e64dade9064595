//! What a device and a hub say to each other, owned by neither: bundles, receipts, sealed
//! items, the signed form list, enrolment and their versions ([`bundle`],
//! docs/bundle-format.md); sealing to the hub ([`seal`]), with a table of its key ([`recipient`]), and opening many
//! items with one identity ([`opener`]); keys, hex and tokens ([`keys`]);
//! the HTTP messages ([`http`]). The store seals with it, the sync client and the hub speak
//! it; it depends on neither.

pub mod bundle;
pub mod http;
pub mod keys;
pub mod opener;
pub mod recipient;
pub mod returns;
pub mod seal;
mod stanza;

/// Default largest bundle a hub accepts (a few thousand interviews).
pub const MAX_BUNDLE: usize = 32 << 20;
