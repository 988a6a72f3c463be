//! IoT substitution templates (`${...}` in a Kinesis action's partition key): parsing with
//! byte ranges, static classification (constant / per-record / random / time-based / unknown)
//! and evaluation on a sample payload with IoT's Undefined semantics. Pure: no I/O, no model.
//!
//! INTERFACE STUB — being implemented in its own branch.

use std::ops::Range;

/// A parsed template: literal text and `${expr}` parts, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Lit { text: String, range: Range<usize> },
    Expr { expr: Expr, range: Range<usize> },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Field { path: Vec<String>, range: Range<usize> },
    Str { value: String, range: Range<usize> },
    Num { value: f64, range: Range<usize> },
    Add { lhs: Box<Expr>, rhs: Box<Expr>, range: Range<usize> },
    Call { name: String, args: Vec<Expr>, range: Range<usize> },
}

/// A malformed template; `range` is in bytes of the template text.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateError {
    pub range: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

pub fn parse(_text: &str) -> Result<Template, TemplateError> {
    Err(TemplateError { range: 0..0, message: "not implemented".into(), help: None })
}
