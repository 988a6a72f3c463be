//! Sample-driven distribution: streams sampled records through key evaluation, MD5 and the shard
//! map in parallel, and reports per-shard load, skew, hot keys, ordering groups and undefined keys.
//!
//! STUB — being implemented in its own branch.
