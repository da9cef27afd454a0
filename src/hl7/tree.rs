//! A plain, serializable tree of a message for previews: segments → fields → repetitions →
//! components → subcomponents, each with its range and (for leaves) the decoded value.
//!
//! Empty fields are left out (their numbers are given, so positions stay unambiguous). A node has
//! children only when it really is split: a field with one repetition and no components is a leaf
//! with a `value`.

mod offsets; // `Offsets`: bytes or UTF-16; `OffsetMap`
mod packed; // `pack`: the compact encoding for the JavaScript boundary
mod plain; // the plain serializable tree (`build`) and the shape of a node
#[cfg(test)]
mod tests;
mod unpack; // `unpack_to_json`: the packed tree back to the plain tree's JSON, for tests

pub use offsets::{OffsetMap, Offsets};
pub use packed::{pack, Packed};
pub use plain::{build, DelimiterInfo, MessageTree, Node, SegmentNode};
pub use unpack::unpack_to_json;
