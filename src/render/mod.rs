//! Renderers: pure functions from a [`Report`](crate::Report) to bytes. They decide nothing:
//! what to report and how severe it is was settled by the rules and the config.

pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod sarif;

/// 1-based start and end positions of a span, as every output format wants them.
pub fn positions(
    db: &crate::source::SourceDb,
    span: crate::source::Span,
) -> (usize, usize, usize, usize) {
    let s = db.start(span);
    let e = db.end(span);
    (s.line, s.column, e.line, e.column)
}
