//! Discrete-event simulation of one Lambda event source mapping draining one stream.
//!
//! STUB — being implemented in its own branch.
