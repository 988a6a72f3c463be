//! shardlint: a static analyzer for AWS Kinesis partition keys, hot shards and the Lambda event
//! source mappings that consume them.
//!
//! ```text
//! paths, --samples, stdin
//!   └─ discover ............... files to read (respect .gitignore; skip .terraform/, node_modules/, .git/)
//!       └─ load/{terraform, cloudformation, aws_cli, plan}   keep spans; a bad file = an input error, run goes on
//!           └─ model ............ one format-free Model: streams (shard map), producers (IoT rules → key expression),
//!                                 consumers (event source mappings, functions); each value a Val with span + logical path
//!               └─ analysis ..... keyspace (MD5 → open shard), key templates (constant / per-record / random / unknown),
//!                                 distribution (samples → keys → shards, in parallel), ordering groups, simulation
//!                   └─ rules .... each rule reads Model + analysis results, pushes Findings; never formats output
//!                       └─ render/{human, json, sarif, github, html}   pure: findings → bytes; decides nothing
//!                           └─ exit code: 0 clean · 1 findings at/above --fail-on · 2 some input unreadable / usage error
//! ```

pub mod diagnostic;
pub mod distribution;
pub mod keyspace;
pub mod load;
pub mod model;
pub mod ordering;
pub mod simulate;
pub mod source;
pub mod template;
