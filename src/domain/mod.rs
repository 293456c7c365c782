//! Pure rules of the domain: naming, what an edge records about itself, allocation of aliases
//! and rule priorities, capacity, tags, and the decisions about a tenant (what is in the way,
//! what exists, what to delete). Nothing here performs I/O or knows an AWS SDK type: the
//! layers above fetch a snapshot, ask these functions, and apply the answer.

pub mod aliases;
pub mod allocation;
pub mod capacity;
pub mod edge;
pub mod groups;
pub mod naming;
pub mod rules;
pub mod tags;
pub mod tenant;
