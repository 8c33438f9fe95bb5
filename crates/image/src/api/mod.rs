//! Glance v2 on the wire: bodies and query strings exactly as Glance spells them.

pub mod images;
pub mod members;
pub mod metadef_schemas;
pub mod metadefs;
pub mod schemas;
pub mod tasks;
pub mod versions;
