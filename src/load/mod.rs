pub mod aws_cli;
pub mod cloudformation;
pub mod json_span;
pub mod plan;
