//! Pure rules of the domain: naming, and allocation of aliases and rule priorities. Nothing here
//! performs I/O.

pub mod allocation;
pub mod edge;
pub mod naming;
