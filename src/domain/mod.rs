//! Pure rules of the domain: naming, and (with the lifecycle) allocation of aliases and rule
//! priorities. Nothing here performs I/O.

pub mod naming;
